"""The task engine's entry point: `celery -A portal.worker worker` (and `… beat`).

Builds the portal from the environment, as the web server does, and its Celery application with
every registered job and the beat schedule. TASK_BROKER_URL must name a broker.
"""

from . import create_app, jobs, tasks
from .config import ConfigError

flask_app = create_app()
if not flask_app.config["TASK_BROKER_URL"]:
    raise ConfigError("TASK_BROKER_URL is not set: jobs run inline in the web process and there "
                      "is nothing for a worker to do (set it to a Redis URL or \"embedded\")")
app = celery = jobs.engine_for(flask_app)
celery.conf.beat_schedule = tasks.beat_schedule(flask_app.config, jobs.registered())
