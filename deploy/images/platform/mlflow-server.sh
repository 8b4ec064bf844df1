#!/bin/sh
# The MLflow tracking server of a compose deployment: runs and metrics in PostgreSQL, artifacts
# in /srv/mlflow/artifacts (served through the server, so workers on other hosts need only HTTP),
# and a password on everything but /health (MLflow's basic-auth app; the one account is the
# administrator that Podium's API and workers and the organisers log in with).
set -eu
: "${MLFLOW_BACKEND_STORE_URI:?}"
: "${MLFLOW_TRACKING_USERNAME:?set MLFLOW_USERNAME (see .env.example)}"
: "${MLFLOW_TRACKING_PASSWORD:?set MLFLOW_PASSWORD (see .env.example)}"
umask 077
mkdir -p /srv/mlflow/artifacts
# the login form's CSRF secret: made once, kept in the volume
[ -s /srv/mlflow/flask_secret ] || python -c "import secrets; print(secrets.token_hex(32))" \
    > /srv/mlflow/flask_secret
MLFLOW_FLASK_SERVER_SECRET_KEY=$(cat /srv/mlflow/flask_secret)
export MLFLOW_FLASK_SERVER_SECRET_KEY
export MLFLOW_AUTH_CONFIG_PATH=/srv/mlflow/basic_auth.ini
cat > "$MLFLOW_AUTH_CONFIG_PATH" <<INI
[mlflow]
default_permission = NO_PERMISSIONS
database_uri = sqlite:////srv/mlflow/basic_auth.db
admin_username = $MLFLOW_TRACKING_USERNAME
admin_password = $MLFLOW_TRACKING_PASSWORD
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
exec mlflow server \
    --app-name basic-auth \
    --backend-store-uri "$MLFLOW_BACKEND_STORE_URI" \
    --artifacts-destination /srv/mlflow/artifacts \
    --serve-artifacts \
    --host 0.0.0.0 --port 5000 \
    --workers "${MLFLOW_WORKERS:-2}" \
    --allowed-hosts "${MLFLOW_ALLOWED_HOSTS:-mlflow:5000,localhost:*,127.0.0.1:*,10.*,172.*,192.168.*}"
