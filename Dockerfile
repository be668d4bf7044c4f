# certguard: the same app under gunicorn, SQLite and local storage in /data by default.
# Scale out by setting CERTGUARD_DATABASE_URL (PostgreSQL) and CERTGUARD_REDIS_URL (Huey on Redis),
# and run `certguard worker --processes N` containers beside the web ones (same image, other command).
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_THREAD_LIMIT=1 \
    CERTGUARD_DATA_DIR=/data

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
# rapidocr_onnxruntime without its opencv-python dependency (opencv-python-headless provides cv2).
COPY requirements-nodeps.txt .
RUN pip install --no-cache-dir --no-deps -r requirements-nodeps.txt
COPY pyproject.toml README.md ./
COPY ocr ocr
COPY verification verification
COPY service service
COPY samples samples
RUN pip install --no-cache-dir --no-deps .

RUN useradd --system --home-dir /data --create-home certguard
USER certguard
VOLUME /data
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/login', timeout=5)"

# Migrate once, then serve: gunicorn with the in-process job consumer, as `make serve` does.
CMD ["sh", "-c", "certguard db upgrade && exec certguard serve --host 0.0.0.0 --port 8000"]
