"""Errors of the models domain (scorecard training, artifacts, registry)."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, InvalidInput, NotFound


class InvalidArtifact(DomainError):
    """A scorecard artifact document is malformed or of an unknown format version."""

    code = "invalid_model_artifact"
    status = 422
    title_zh = "模型文件无效"
    title_en = "Invalid model artifact"
    message_zh = "模型文件无效：{reason}"
    message_en = "Invalid model artifact: {reason}"


class InvalidFeatureValue(InvalidInput):
    """A value handed to the scorecard cannot be read for its feature."""

    code = "invalid_feature_value"
    message_zh = "特征 {field} 的取值 {value!r} 无法用于评分。"
    message_en = "The value {value!r} of feature {field} cannot be scored."


class MissingFeatures(InvalidInput):
    """Required features are absent from what was handed to a model (absent, not blank: a
    present key with no value is a missing value and has its own bin)."""

    code = "missing_model_features"
    message_zh = "缺少模型所需的特征：{names}。"
    message_en = "The model needs features that were not supplied: {names}."

    def __init__(self, names: list[str]) -> None:
        super().__init__(field="features", names=", ".join(names))


class InvalidTrainingData(DomainError):
    code = "invalid_training_data"
    status = 422
    title_zh = "训练数据无效"
    title_en = "Invalid training data"
    message_zh = "训练数据无效：{reason}"
    message_en = "Invalid training data: {reason}"


class ModelNotFound(NotFound):
    code = "model_not_found"
    message_zh = "未找到模型 {model_id} {version}。"
    message_en = "Model {model_id} {version} not found."

    def __init__(self, model_id: str, version: str = "") -> None:
        super().__init__(what="模型", what_en="Model", model_id=model_id, version=version)


class ModelVersionExists(Conflict):
    code = "model_version_exists"
    message_zh = "模型 {model_id} 的版本 {version} 已存在。"
    message_en = "Version {version} of model {model_id} already exists."
