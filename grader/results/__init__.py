"""Stage 5, the results: what students and the instructor get back.

``feedback`` writes each student's HTML page (hidden tests removed, checked
for leaks), ``export`` the grades CSV, ``report`` the class summary (scores,
flags, misconceptions, a histogram); ``tables`` formats the text and
markdown tables they print.
"""
