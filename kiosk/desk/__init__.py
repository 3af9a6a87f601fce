"""The citizen-service desk besides applying: progress query, queue ticket, certificate
(journeys, tasks), what those screens are given (servicedesk), and what the site offers
besides the kiosk: its windows and the nearest service hall (siteservices).
"""
