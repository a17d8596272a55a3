"""Keep survey link tokens out of the logs.

A survey link ``/s/<token>/`` is a password for one participant's answers. Django's request
and server loggers write the path of every 4xx answer (an expired link is a 404), so every log
record passes through this filter, which replaces the token with ``[redacted]``.
"""

import logging
import re

TOKEN_IN_PATH = re.compile(r"/s/(?!answer/)[^/\s\"']+")


class RedactSurveyTokens(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        redacted = TOKEN_IN_PATH.sub("/s/[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
