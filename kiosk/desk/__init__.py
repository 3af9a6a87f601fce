"""The citizen-service desk besides applying: progress query, queue ticket, certificate
(journeys, tasks) and what those screens are given (servicedesk).
"""
