# accord serve: the HTTP API and the web pages over a PostgreSQL log (see docker-compose.yml) or a SQLite file in /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events ./events
COPY projections ./projections
COPY search_index ./search_index
COPY service ./service
COPY templates ./templates
RUN pip install . && useradd --system --create-home accord && mkdir /data && chown accord /data

USER accord
ENV ACCORD_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["accord", "serve", "--host", "0.0.0.0", "--port", "8000"]
