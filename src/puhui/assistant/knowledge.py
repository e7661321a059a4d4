"""The knowledge base's first version of every intent's answer (zh-CN, English) and the links
into the normal flows (pure). Staff edit answers in the console; an approved edit becomes the
live version and replaces these (`service.live_answer`)."""

from __future__ import annotations

from dataclasses import dataclass

from puhui.assistant.intents import Intent


@dataclass(frozen=True)
class Link:
    href: str
    zh: str
    en: str


DEFAULT_ANSWERS: dict[str, tuple[str, str]] = {
    Intent.apply_loan: (
        "在“随e融”可全程线上申请：输入手机号和验证码登录，填写企业统一社会信用代码、法定代表人信息并完成数据授权，一般几分钟内出结果。",
        "Apply online in Quick credit: sign in with your mobile and a code, enter the enterprise's "
        "unified social credit code and the legal representative, give the data authorizations; "
        "the decision usually comes within minutes.",
    ),
    Intent.eligibility: (
        "申请条件：依法登记的小微企业或个体工商户，经营满一定期限、正常纳税开票，法定代表人征信良好。具体以审批结果为准，申请不收取任何费用。",
        "Who can apply: a registered small or micro enterprise or sole proprietor trading for a "
        "while, filing taxes and invoices, with a legal representative in good credit standing. "
        "The decision is final; applying is free.",
    ),
    Intent.documents: (
        "线上申请一般只需营业执照（可拍照识别）、法定代表人身份证和人脸核验，经营、税务等数据在您授权后自动获取，无需上传报表。照片请保持四角完整、光线充足。",
        "Online you usually need only the business licence (a photo is read automatically), the "
        "legal representative's ID and a face check; trading and tax data are read under your "
        "authorization, no statements to upload. Keep all four corners in the photo, in good light"
        ".",
    ),
    Intent.application_status: (
        "申请提交后大多数几分钟内出结果；需要人工复核的，一般1-3个工作日内完成，结果会短信通知，也可在“进度”页查看每一步。",
        "Most applications are decided within minutes; one that goes to a reviewer takes 1-3 "
        "working days. You get a text message, and the Timeline page shows every step.",
    ),
    Intent.credit_limit: (
        "额度为循环额度，在有效期内随借随还；还款后相应额度自动恢复。"
        "可用额度 = 授信额度 − 已用额度。",
        "Your line is revolving within its term: repaying restores the limit. Available = the "
        "limit − what is drawn.",
    ),
    Intent.limit_increase: (
        "按时还款、经营和纳税情况向好，系统会定期评估并可能主动提额；您也可以在额度到期前重新申请，由审批按最新数据核定。",
        "Repaying on time and a growing business can lead to an automatic increase at the "
        "periodic review; you can also apply again and the limit is set from your latest data.",
    ),
    Intent.interest_rate: (
        "利率以合同为准，按日计息（年化利率÷360×实际用款天数），随借随还，不用不计息。利率参考LPR定价。",
        "The rate is the one in your contract; interest accrues daily (annual rate ÷ 360 × days "
        "drawn), only on what you use. Pricing references the LPR.",
    ),
    Intent.drawdown: (
        "合同签署后，在额度页面输入金额和期限即可提款，资金一般实时到账企业账户；大额可选择受托支付直接付给收款方。",
        "Once the contract is signed, draw from the line's page by entering the amount and term; "
        "the money usually arrives at once in the enterprise account, and larger amounts can be "
        "paid straight to the payee (entrusted payment).",
    ),
    Intent.repayment: (
        "还款日系统会自动从结算账户扣款，请在还款日前存足资金；也可以在借款页面主动还款。还款顺序为费用、罚息、利息、本金。",
        "On the due date the amount is debited from the settlement account: have the funds there "
        "beforehand. You can also repay on the loan's page. Payments go to charges, penalty "
        "interest, interest, then principal.",
    ),
    Intent.early_repayment: (
        "支持提前还款，可部分或全部结清，可选择缩短期限或减少月供；提前还本金可能收取合同约定的提前还款费用，利息只算到还款当天。",
        "You can repay early, in part or in full, keeping the term or the instalment; a "
        "prepayment fee may apply as your contract says, and interest runs only to the day you rep"
        "ay.",
    ),
    Intent.repayment_schedule: (
        "每笔借款都有还款计划，可在借款页面查看每期的还款日、本金和利息，也可下载。",
        "Each loan has its schedule on the loan's page: every instalment's date, principal and int"
        "erest.",
    ),
    Intent.overdue: (
        "逾期会按合同计收罚息，并可能影响企业和法定代表人的征信，额度也可能被暂停。请尽快存入资金还款；确有困难可申请延期或联系人工客服。",
        "A late payment bears penalty interest under the contract, may reach the credit report of "
        "the enterprise and its representative, and can suspend the line. Repay as soon as you "
        "can; if you are in difficulty, ask for a deferral or a person.",
    ),
    Intent.deferral: (
        "经营暂时困难的，可在借款页面申请延期还款或调整还款计划，提交后由审批人员评估，结果会通知您；延期期间利息照常计算。",
        "If business is temporarily hard, ask for a deferral or a new schedule on the loan's page; "
        "a reviewer decides and you are told the result. Interest keeps accruing meanwhile.",
    ),
    Intent.renewal: (
        "额度到期前可申请续期，系统按最新数据重新审批；符合条件的可无还本续贷，无需先还清本金。",
        "Before the line expires you can renew it: it is decided again from your latest data; "
        "eligible borrowers can renew without first repaying the principal.",
    ),
    Intent.contract: (
        "审批通过后在“进度”页预览并签署电子合同，验证码发送至法定代表人登记手机号；签署后的合同带电子签章，可随时下载PDF。",
        "After approval, preview and sign the e-contract from the Timeline page; the code goes to "
        "the legal representative's registered mobile. The signed contract carries the bank's "
        "seal and can be downloaded as a PDF at any time.",
    ),
    Intent.consent: (
        "每项数据授权都写明来源、用途和有效期；您可以在“我的数据与权利”页面查看并随时撤回，撤回后不再据此查询数据。",
        "Each data authorization states its source, purpose and validity; see and withdraw them "
        "at any time on My data and my rights — nothing is read under a withdrawn one.",
    ),
    Intent.receivables: (
        "供应链应收账款凭证可签收、拆分转让给上游或申请贴现；贴现价格按剩余天数和核心企业额度定价，每一笔操作都有可验证记录。",
        "Receivable certificates can be accepted, split and transferred upstream, or discounted; "
        "the price depends on the days left and the core enterprise, and every operation has a "
        "verifiable record.",
    ),
    Intent.account_security: (
        "登录使用法定代表人登记手机号和短信验证码；验证码输错多次会暂停一段时间，请稍后重试。更换手机号或账户被锁请转人工核实身份后处理。",
        "Sign in with the legal representative's registered mobile and a text code; after several "
        "wrong codes sign-in pauses for a while. To change the mobile or unlock an account, ask "
        "for a person who checks your identity.",
    ),
    Intent.fraud_report: (
        "【防诈提醒】我们不会以任何理由索要验证码、密码，不会要求转账到“安全账户”，放款前不收取任何费用，也没有“内部提额”渠道。如果您已泄露验证码或发现不是本人的操作，请立即锁定登录，"
        "并联系人工客服。",
        "[Fraud warning] We never ask for codes or passwords, never ask you to move money to a "
        '"safe account", charge nothing before a loan is paid out and have no "inside" limit '
        "increases. If you gave a code away or see something you did not do, lock sign-in now "
        "and talk to a person.",
    ),
    Intent.fees: (
        "除合同约定的利息外，申请、审批、放款均不收费；可能发生的费用只有合同列明的提前还款费用和逾期罚息。任何要求您先交费的都不是我们。",
        "Besides the interest in your contract, applying, approval and payout are free; the only "
        "possible charges are the contract's prepayment fee and penalty interest. Anyone asking "
        "for a fee up front is not us.",
    ),
    Intent.complaint: (
        "非常抱歉给您带来不好的体验，已为您转接人工客服处理，我们会在服务时限内回复。",
        "We are sorry for the trouble. You are being put through to a service rep, who will "
        "answer within our service time.",
    ),
    Intent.human_agent: (
        "好的，正在为您转接人工客服，请稍候；对话记录会一并转给客服。",
        "Connecting you to a service rep; the conversation so far goes with you.",
    ),
    Intent.greeting: (
        "您好，我是普惠智能客服，可以帮您查额度、还款、申请进度等。请直接输入您的问题。",
        "Hello, I am Puhui's assistant: I can check your limit, repayments, application and more. "
        "Type your question.",
    ),
    Intent.out_of_scope: (
        "抱歉，这个问题我暂时无法回答。我可以帮您办理贷款申请、额度、还款等小微企业信贷业务；需要的话也可以转人工。",
        "Sorry, I cannot help with that. I can help with loans for your enterprise: applying, "
        "limits, repayments; or put you through to a person.",
    ),
}

# Where each intent's actions happen: links into the normal flows, never executed here.
LINKS: dict[str, tuple[Link, ...]] = {
    Intent.apply_loan: (Link("/m/apply", "去申请", "Apply"),),
    Intent.eligibility: (Link("/m/apply", "去申请", "Apply"),),
    Intent.documents: (Link("/m/apply", "去申请", "Apply"),),
    Intent.application_status: (Link("/m/timeline", "查看进度", "Timeline"),),
    Intent.credit_limit: (Link("/m/home", "我的额度", "My lines"),),
    Intent.limit_increase: (Link("/m/apply", "重新申请", "Apply again"),),
    Intent.drawdown: (Link("/m/home", "去提款", "Draw"),),
    Intent.repayment: (Link("/m/home", "去还款", "Repay"),),
    Intent.early_repayment: (Link("/m/home", "提前还款", "Repay early"),),
    Intent.repayment_schedule: (Link("/m/home", "还款计划", "Schedules"),),
    Intent.overdue: (Link("/m/home", "去还款", "Repay"),),
    Intent.deferral: (Link("/m/home", "我的借款", "My loans"),),
    Intent.renewal: (Link("/m/apply", "申请续期", "Renew"),),
    Intent.contract: (Link("/m/timeline", "合同与进度", "Contract and timeline"),),
    Intent.consent: (Link("/m/rights", "我的数据与权利", "My data and my rights"),),
    Intent.receivables: (Link("/m/receivables", "我的凭证", "My certificates"),),
}


def default_answer(intent: str, lang: str) -> str:
    zh, en = DEFAULT_ANSWERS[intent]
    return zh if lang == "zh" else en
