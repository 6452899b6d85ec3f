# One image for the three services; the container's command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GOALSTREAM_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY constraints.txt ./
COPY contracts contracts
COPY services services
RUN pip install --no-cache-dir -c constraints.txt ./contracts ./services/runtime ./services/goals \
        ./services/tracking ./services/notifications
USER nobody
CMD ["python", "-m", "goalstream_goals"]
