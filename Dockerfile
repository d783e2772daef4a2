# The IQM Portal: one image for the web server, the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# The libraries WeasyPrint needs to render PDFs, and fonts for it to render with.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# The code runs from /app (PYTHONPATH above), where the templates and static files are too.
RUN pip install . && rm -rf build *.egg-info

# Static files are collected (and compressed, hashed) into the image; whitenoise serves them.
# Settings refuse to load without SECRET_KEY when DEBUG is off: this one is for this step only.
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput --verbosity 0

# Run as a user of its own, who may write uploads (/app/media) and celerybeat-schedule (/app).
RUN useradd --create-home --uid 1000 iqm \
    && mkdir -p /app/media \
    && chown iqm:iqm /app /app/media
USER iqm

EXPOSE 8000
# gunicorn reads /app/gunicorn.conf.py: the portal loaded and warmed up once, before the workers fork.
CMD ["gunicorn", "iqm_portal.wsgi:application", "--bind", "0.0.0.0:8000"]
