"""Console strings of sign-in and account security (zh-CN, English), merged into
`web.i18n.STRINGS`."""

from __future__ import annotations

ACCOUNT_STRINGS: dict[str, tuple[str, str]] = {
    "mfa_title": ("第二重验证", "Second factor"),
    "mfa_code": ("动态码", "Authenticator code"),
    "mfa_code_help": (
        "请输入身份验证器 App 中显示的 6 位动态码。",
        "Enter the 6-digit code your authenticator app shows.",
    ),
    "mfa_recovery_help": (
        "手机不在身边？可输入一个恢复码（每个只能用一次）。",
        "No phone at hand? Enter one of your recovery codes (each works once).",
    ),
    "mfa_verify": ("验证", "Verify"),
    "mfa_challenge_note": (
        "该账号近期多次登录失败：请同时输入密码和动态码。",
        "This account saw many failed logins: enter your password and code together.",
    ),
    "mfa_enrol_title": ("绑定身份验证器", "Set up your authenticator"),
    "mfa_enrol_help": (
        "员工账号须使用第二重验证。请用身份验证器 App（如 Google Authenticator、Microsoft "
        "Authenticator 或 FreeOTP）扫描二维码，或手动输入下方密钥，然后输入 App 显示的动态码。",
        "Staff accounts need a second factor. Scan the QR code with an authenticator app "
        "(Google Authenticator, Microsoft Authenticator, FreeOTP, ...) or type the key below, "
        "then enter the code the app shows.",
    ),
    "mfa_qr_alt": ("身份验证器二维码", "Authenticator QR code"),
    "mfa_secret": ("密钥", "Key"),
    "mfa_account": ("账号", "Account"),
    "mfa_first_code": ("App 显示的动态码", "Code shown by the app"),
    "mfa_enrol_confirm": ("确认绑定", "Confirm"),
    "mfa_recovery_title": ("恢复码", "Recovery codes"),
    "mfa_recovery_once": (
        "请妥善保存以下恢复码：只显示这一次，每个只能使用一次，手机丢失时用它登录。",
        "Keep these recovery codes safe: they are shown only now, each works once, and they "
        "let you in if you lose your phone.",
    ),
    "mfa_recovery_saved": ("我已保存，继续", "I have saved them — continue"),
    "mfa_enrolled_since": ("身份验证器绑定于", "Authenticator enrolled"),
    "mfa_recovery_left": ("剩余恢复码 {count} 个", "{count} recovery codes left"),
    "mfa_recovery_new": ("生成新的恢复码", "New recovery codes"),
    "keys_title": ("安全密钥（可选）", "Security keys (optional)"),
    "keys_help": (
        "可注册 USB/NFC 安全密钥或通行密钥，登录时代替动态码。",
        "Register a USB/NFC security key or a passkey to use instead of the code at login.",
    ),
    "key_label": ("密钥名称", "Key name"),
    "key_add": ("注册安全密钥", "Register a security key"),
    "key_remove": ("移除", "Remove"),
    "key_use": ("使用安全密钥", "Use a security key"),
    "key_failed": ("安全密钥验证未完成，请重试。", "The security key did not complete; try again."),
    "sso_sign_in": ("使用行内统一认证登录", "Sign in with the bank's directory"),
    "security": ("账号安全", "Account security"),
    "my_sessions": ("我的登录会话", "My sessions"),
    "session_started": ("登录时间", "Signed in"),
    "session_last_seen": ("最近活动", "Last active"),
    "session_browser": ("浏览器", "Browser"),
    "session_this": ("当前会话", "This session"),
    "session_revoke": ("注销", "Sign out"),
    "admin_revoke_title": ("注销某用户的全部会话", "Sign a user out everywhere"),
    "admin_revoke_button": ("全部注销", "Sign out everywhere"),
    "admin_revoke_done": (
        "已注销 {user} 的 {count} 个会话和令牌。",
        "Ended {count} sessions and tokens of {user}.",
    ),
}
