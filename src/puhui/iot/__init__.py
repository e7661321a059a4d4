"""IoT-monitored collateral (issue 20): sensor readings over MQTT, live value, signals."""
