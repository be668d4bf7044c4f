"""The campaign's report forms (Form A, Form B), their periods, the figures supervisors enter, exports and
the dashboard's charts. Pages and the API call in here; nothing here knows about requests."""
