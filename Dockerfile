# One image for the three services; the container's command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GOALSTREAM_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY constraints.txt ./
COPY contracts contracts
COPY services services
# The runtime without its [embedded] extra: no embedded PostgreSQL or broker (about 71 MB) in production, where
# GOALSTREAM_DATABASE_URL and GOALSTREAM_KAFKA_BOOTSTRAP name the servers.
RUN pip install --no-cache-dir -c constraints.txt ./contracts ./services/rules ./services/runtime ./services/goals \
        ./services/tracking ./services/notifications ./services/cli
# 65534 is nobody; numeric so that Kubernetes can check runAsNonRoot.
USER 65534:65534
# goals, tracking, notifications (GOALSTREAM_HTTP_PORT defaults); /health, /ready and /metrics on each.
EXPOSE 8001 8002 8003
CMD ["python", "-m", "goalstream_goals"]
