"""The items of the 2025 《个人信息保护合规审计指引》 and what to collect where no store can prove them.

Numbering and topics follow our reading of the Guide, which walks the PIPL in article order; the
mapping is marked uncertain in the catalogue and should be confirmed against the official text.
Which rules check an item comes from the rules' own ``guide_items``.
"""

from __future__ import annotations

from dataclasses import dataclass

from govshare.compliance._model import Text

__all__ = ["GUIDE", "GuideItem"]


@dataclass(frozen=True)
class GuideItem:
    """One Guide item: its topic, the PIPL articles behind it, and the documents to collect
    (None when the rules that check it prove all of it from the store)."""

    item: int
    topic: Text
    pipl: tuple[str, ...]
    collect: Text | None


def _i(
    item: int, zh: str, en: str, pipl: tuple[str, ...], collect: tuple[str, str] | None
) -> GuideItem:
    return GuideItem(
        item, Text(zh=zh, en=en), pipl, Text(zh=collect[0], en=collect[1]) if collect else None
    )


GUIDE: tuple[GuideItem, ...] = (
    _i(
        1,
        "处理个人信息的合法性基础",
        "Lawful basis of processing",
        ("Art. 13",),
        (
            "法定职责依据（法律、行政法规条文）及其与各处理目的的对应表",
            "the statutory duties relied on (the provisions) mapped to each purpose",
        ),
    ),
    _i(
        2,
        "个人同意的取得、撤回与记录",
        "Obtaining, withdrawing and recording consent",
        ("Art. 14", "Art. 15", "Art. 16"),
        (
            "同意界面截图、撤回渠道说明",
            "screenshots of the consent forms and a description of the withdrawal channel",
        ),
    ),
    _i(
        3,
        "告知义务与处理规则",
        "Notice and processing rules",
        ("Art. 17", "Art. 18"),
        ("各版本隐私告知全文及其哈希", "every version of the privacy notice, with its hash"),
    ),
    _i(
        4,
        "保存期限",
        "Retention periods",
        ("Art. 19",),
        ("保存期限制度和删除记录", "the retention schedule and deletion records"),
    ),
    _i(
        5,
        "共同处理",
        "Joint processing",
        ("Art. 20",),
        ("共同处理约定", "joint-processing arrangements"),
    ),
    _i(
        6,
        "委托处理",
        "Entrusted processing",
        ("Art. 21",),
        (
            "委托处理合同及对受托方的监督记录",
            "entrustment contracts and supervision records of the processors",
        ),
    ),
    _i(
        7,
        "因合并、分立等转移个人信息",
        "Transfers on merger, division or dissolution",
        ("Art. 22",),
        ("机构调整时的转移记录（如有）", "transfer records on reorganisation, if any"),
    ),
    _i(
        8,
        "向其他个人信息处理者提供",
        "Provision to other processors",
        ("Art. 23",),
        (
            "共享协议及接收方处理情况说明",
            "the sharing agreements and the recipients' account of their processing",
        ),
    ),
    _i(
        9,
        "自动化决策",
        "Automated decision-making",
        ("Art. 24",),
        (
            "自动化决策的透明度说明和结果公平性评估",
            "transparency statements and fairness reviews of automated decisions",
        ),
    ),
    _i(
        10,
        "公开个人信息",
        "Public disclosure",
        ("Art. 25",),
        (
            "公开个人信息的单独同意或法定依据",
            "separate consent or the legal basis for any public disclosure",
        ),
    ),
    _i(
        11,
        "公共场所图像采集、个人身份识别设备",
        "Image capture and identification devices in public places",
        ("Art. 26",),
        (
            "设备清单、提示标识、用途限定说明",
            "the device inventory, signage and the purpose limitation",
        ),
    ),
    _i(
        12,
        "处理已公开的个人信息",
        "Processing already-public information",
        ("Art. 27",),
        (
            "已公开信息的来源与处理范围",
            "the sources and scope of processing of already-public information",
        ),
    ),
    _i(
        13,
        "敏感个人信息",
        "Sensitive personal information",
        ("Art. 28", "Art. 29", "Art. 30", "Art. 32"),
        (
            "特定目的和充分必要性的论证、相关行政许可",
            "the specific purpose and necessity analysis, and any administrative permits",
        ),
    ),
    _i(
        14,
        "不满十四周岁未成年人的个人信息",
        "Information of minors under 14",
        ("Art. 31",),
        ("未成年人个人信息处理规则", "the dedicated rules for processing minors' information"),
    ),
    _i(
        15,
        "国家机关处理个人信息",
        "Processing by state organs",
        ("Art. 33", "Art. 34", "Art. 35", "Art. 36", "Art. 37"),
        (
            "法定职责与权限依据、告知义务的履行或豁免依据、境内存储证明",
            "the statutory duties and powers, notice given or its exemption, evidence of storage in China",
        ),
    ),
    _i(
        16,
        "个人信息出境",
        "Cross-border provision",
        ("Art. 38", "Art. 39", "Art. 40", "Art. 41", "Art. 42", "Art. 43"),
        (
            "出境安全评估、标准合同或认证材料（如有出境）",
            "security assessment, standard contract or certification, if anything leaves China",
        ),
    ),
    _i(
        17,
        "个人权利的行使与响应",
        "Exercise of individuals' rights",
        ("Art. 44", "Art. 45", "Art. 46", "Art. 47", "Art. 48", "Art. 49", "Art. 50"),
        ("权利请求台账及响应时限记录", "the register of rights requests and response times"),
    ),
    _i(
        18,
        "个人信息保护管理制度和操作规程",
        "Internal management rules and procedures",
        ("Art. 51(1)",),
        ("管理制度、操作规程及其发布记录", "the rules and procedures, and when they were issued"),
    ),
    _i(
        19,
        "个人信息分类管理",
        "Classified management of information",
        ("Art. 51(2)",),
        ("数据分类分级清单", "the data classification inventory"),
    ),
    _i(
        20,
        "加密、去标识化等安全技术措施",
        "Encryption, de-identification and other technical measures",
        ("Art. 51(3)",),
        (
            "密钥管理制度与密钥退役记录、渗透测试报告",
            "the key-management policy and key retirement records, penetration-test reports",
        ),
    ),
    _i(
        21,
        "操作权限与安全教育培训",
        "Access rights and staff training",
        ("Art. 51(4)",),
        (
            "岗位权限清单、重新识别授权记录、培训记录和考核结果",
            "role and permission lists, re-identification authorisations, training records and results",
        ),
    ),
    _i(
        22,
        "安全事件应急预案",
        "Incident response plans",
        ("Art. 51(5)",),
        ("应急预案及演练记录", "the response plan and drill records"),
    ),
    _i(
        23,
        "个人信息保护负责人",
        "Personal-information protection officer",
        ("Art. 52", "Art. 53"),
        ("负责人任命文件及报送记录", "the appointment and its filing with the authorities"),
    ),
    _i(
        24,
        "合规审计",
        "Compliance audits",
        ("Art. 54",),
        (
            "以往审计报告与整改记录、审计方保存的检查点",
            "earlier audit reports and remediation, and the checkpoints the auditor kept",
        ),
    ),
    _i(
        25,
        "个人信息保护影响评估",
        "Impact assessments",
        ("Art. 55", "Art. 56"),
        (
            "影响评估报告（保存至少三年）",
            "the impact-assessment reports themselves (kept at least three years)",
        ),
    ),
    _i(
        26,
        "安全事件的补救与通知",
        "Remedying and notifying incidents",
        ("Art. 57",),
        ("安全事件台账、通知记录", "the incident register and notifications made"),
    ),
    _i(
        27,
        "大型互联网平台的特别义务",
        "Duties of large platforms",
        ("Art. 58",),
        (
            "不适用于政务部门时说明理由",
            "usually not applicable to a government department: record why",
        ),
    ),
)
