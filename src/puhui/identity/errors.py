"""Errors of the identity domain (实名认证), bilingual, rendered as RFC 9457 problems."""

from __future__ import annotations

from puhui.core.errors import DomainError


class IdentityNotVerified(DomainError):
    """The legal representative has not passed carrier three-factor verification."""

    code = "identity_not_verified"
    status = 403
    title_zh = "法定代表人未完成实名认证"
    title_en = "Legal representative not verified"
    message_zh = "法定代表人须先通过实名认证（姓名、身份证号、本人手机号三要素核验）。"
    message_en = (
        "The legal representative must first pass real-name verification (name, resident ID "
        "and own mobile number checked with the carrier)."
    )


class VerificationFailed(DomainError):
    code = "identity_verification_failed"
    status = 422
    title_zh = "实名核验未通过"
    title_en = "Verification failed"
    message_zh = "实名核验未通过：{reason_zh}"
    message_en = "The verification did not pass: {reason_en}"


class FaceCheckRequired(DomainError):
    code = "identity_face_required"
    status = 403
    title_zh = "需要人脸识别"
    title_en = "Face check required"
    message_zh = "此操作须先完成人脸识别（{why_zh}）。"
    message_en = "This needs a face check first ({why_en})."


class CaptureRefused(DomainError):
    code = "identity_capture_refused"
    status = 422
    title_zh = "视频无法使用"
    title_en = "Video not usable"
    message_zh = "未收到可用的自拍视频，请重新录制（至少 2 秒，正对镜头）。"
    message_en = "No usable selfie video was received; record again (2 seconds at least, face on)."


class AgentNotAuthorised(DomainError):
    code = "identity_agent_not_authorised"
    status = 403
    title_zh = "经办人未获授权"
    title_en = "Agent not authorised"
    message_zh = "您不是该企业的法定代表人，且没有法定代表人对「{scope_zh}」的有效授权。"
    message_en = (
        "You are not this enterprise's legal representative and hold no live authorisation "
        "from them for '{scope_en}'."
    )


class NotTheLegalRepresentative(DomainError):
    code = "identity_not_legal_representative"
    status = 403
    title_zh = "仅法定代表人可授权"
    title_en = "Only the legal representative may authorise"
    message_zh = "只有通过实名认证的法定代表人本人（以其手机号登录）才能授权经办人。"
    message_en = (
        "Only the verified legal representative, signed in with their own mobile number, may "
        "authorise an agent."
    )


class AuthorisationNotFound(DomainError):
    code = "identity_authorisation_not_found"
    status = 404
    title_zh = "未找到授权"
    title_en = "Authorisation not found"
    message_zh = "未找到该授权。"
    message_en = "Authorisation not found."


class LicenceUnreadable(DomainError):
    code = "identity_licence_unreadable"
    status = 422
    title_zh = "营业执照无法识别"
    title_en = "Licence not readable"
    message_zh = "未能从照片中识别出统一社会信用代码，请在光线充足处正对执照重新拍摄。"
    message_en = (
        "No unified social credit code could be read from the photo; photograph the licence "
        "again, straight on, in good light."
    )


class LicenceMismatch(DomainError):
    code = "identity_licence_mismatch"
    status = 422
    title_zh = "营业执照与登记信息不符"
    title_en = "Licence does not match the registry"
    message_zh = "执照上的{what_zh}与工商登记不一致：执照为「{read}」，登记为「{registered}」。"
    message_en = (
        "The licence's {what_en} differs from the business registry: the licence reads "
        "'{read}', the registry has '{registered}'."
    )
