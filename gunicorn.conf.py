"""gunicorn reads this file from the working directory: `gunicorn wsgi:app` from the repo."""


def post_worker_init(worker):
    """Stop the server (worker boot error) when the app cannot serve from several processes."""
    from portal.serving import check_workers

    check_workers(worker.wsgi, worker.cfg.workers)
