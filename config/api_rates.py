"""Throttle rates of the API (imported by the settings; no Django import here).

A full pull of 1,000,000 rows is 1,000 requests at the largest page
(``page_size=1000``, ``config.api_pagination``); the user rate allows five
such pulls an hour, or one and everything else a script does beside it.
Anonymous requests (only the students' submit) keep a tight rate.
"""

ANON_RATE = "60/minute"
USER_RATE = "5000/hour"
