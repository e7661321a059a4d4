#!/usr/bin/env bash
# Bring a fresh machine to a runnable state: uv, the locked virtual environment, and — with
# `--test` — PostgreSQL server binaries, Debian's Chromium for the browser tests and a Java
# runtime for the Spark test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv with pip" >&2
  python3 -m pip install --quiet --disable-pip-version-check uv || python3 -m pip install --quiet --user uv
  export PATH="$HOME/.local/bin:$PATH"
fi
uv sync --frozen --quiet

need_apt=()
# A Chinese font for the e-contract PDFs (and the browser), in every mode.
if ! ls /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc >/dev/null 2>&1 && [ -z "${PUHUI_CONTRACT_FONT:-}" ]; then
  need_apt+=(fonts-noto-cjk)
fi
# OpenCV (inside the licence OCR, rapidocr-onnxruntime) loads libGL and GLib at import.
if ! ldconfig -p 2>/dev/null | grep -q "libGL.so.1"; then need_apt+=(libgl1); fi
if ! ldconfig -p 2>/dev/null | grep -q "libglib-2.0.so.0"; then need_apt+=(libglib2.0-0); fi
if [ "${1:-}" = "--test" ]; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    need_apt+=(postgresql)
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    need_apt+=(chromium)
  fi
  # Mosquitto, the MQTT broker the IoT collateral tests start on a free port of their own.
  if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    need_apt+=(mosquitto)
  fi
  # Apache Spark (the engagement batch engine's Spark test) runs on a Java runtime.
  if ! command -v java >/dev/null 2>&1; then
    need_apt+=(openjdk-17-jre-headless)
  fi
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]} with apt" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
