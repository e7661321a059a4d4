"""Errors of the IoT collateral watch: stable codes, HTTP statuses, zh-CN and English."""

from __future__ import annotations

from puhui.core.errors import Conflict, NotFound


class LotNotFound(NotFound):
    code = "iot_lot_not_found"
    message_zh = "未找到该监管押品。"
    message_en = "Watched collateral lot not found."


class LotAlreadyWatched(Conflict):
    code = "iot_lot_already_watched"
    message_zh = "押品{ref}已在监管中，不能重复监管。"
    message_en = "Collateral {ref} is already watched."


class SensorTaken(Conflict):
    code = "iot_sensor_taken"
    message_zh = "传感器{sensor}已绑定其他押品。"
    message_en = "Sensor {sensor} is already attached to another lot."


class ReleaseBeyondQuantity(Conflict):
    code = "iot_release_beyond_quantity"
    message_zh = "解押数量{quantity}超过应有数量{expected}。"
    message_en = "Releasing {quantity} exceeds the expected quantity {expected}."


class LotNotWatching(Conflict):
    code = "iot_lot_not_watching"
    message_zh = "该押品已停止监管。"
    message_en = "This lot is no longer watched."
