from tests.support.mosquitto import mqtt_broker  # noqa: F401  (the session's broker)
