"""What `hanji web` serves: Django's WSGI application behind the RSGI front (hanji/core/front.py),
which reads each request in full before it takes one of HANJI_WEB_THREADS request threads."""

import os

from hanji.core.front import Front
from hanji.wsgi import application as wsgi_application

application = Front(wsgi_application, threads=int(os.environ.get("HANJI_WEB_THREADS", "2")))
