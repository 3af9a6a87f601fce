"""The citizen journey: a state machine whose definition is data (machine), the table
generated from a plan (plan, tables), its data and effects (apply, data, events,
runner), what screens show (view), its tie to the session (session) and the one call
that starts it (starter).
"""
