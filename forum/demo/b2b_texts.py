"""What the demo's companies offer and seek at the B2B meetings, by sector, in their own languages.

Japanese companies write their profiles in Japanese with the English term beside it; Central Asian companies
in Russian, Kazakh or Uzbek (Latin, with ʻ), also with the English term. Profiles at international forums are
written like this, and it is what lets "they seek what you offer: water treatment" match across scripts.
Each entry: (English term, Japanese, Russian, Kazakh, Uzbek).
"""
from __future__ import annotations

TOPICS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "energy": [
        ("solar power plants", "太陽光発電所", "солнечные электростанции", "күн электр станциялары", "quyosh elektr stansiyalari"),
        ("gas turbines", "ガスタービン", "газовые турбины", "газ турбиналары", "gaz turbinalari"),
        ("grid modernisation", "送電網の近代化", "модернизация электросетей", "электр желілерін жаңғырту", "elektr tarmoqlarini modernizatsiya qilish"),
        ("energy efficiency", "省エネルギー", "энергоэффективность", "энергия тиімділігі", "energiya samaradorligi"),
    ],
    "mining": [
        ("mining equipment", "鉱山機械", "горное оборудование", "тау-кен жабдықтары", "togʻ-kon uskunalari"),
        ("rare metals", "レアメタル", "редкие металлы", "сирек металдар", "nodir metallar"),
        ("ore processing", "選鉱技術", "переработка руды", "кенді өңдеу", "rudani qayta ishlash"),
    ],
    "agriculture": [
        ("drip irrigation", "点滴灌漑", "капельное орошение", "тамшылатып суару", "tomchilatib sugʻorish"),
        ("greenhouses", "温室栽培", "тепличные комплексы", "жылыжайлар", "issiqxonalar"),
        ("grain exports", "穀物輸入", "экспорт зерна", "астық экспорты", "gʻalla eksporti"),
        ("food processing", "食品加工", "переработка продуктов питания", "тамақ өнімдерін өңдеу", "oziq-ovqat mahsulotlarini qayta ishlash"),
    ],
    "manufacturing": [
        ("industrial robots", "産業用ロボット", "промышленные роботы", "өнеркәсіптік роботтар", "sanoat robotlari"),
        ("machine tools", "工作機械", "станки", "станоктар", "dastgohlar"),
        ("quality control", "品質管理", "контроль качества", "сапа бақылауы", "sifat nazorati"),
    ],
    "automotive": [
        ("auto parts", "自動車部品", "автокомпоненты", "автокөлік бөлшектері", "avtomobil ehtiyot qismlari"),
        ("electric vehicles", "電気自動車", "электромобили", "электр көліктері", "elektromobillar"),
    ],
    "chemicals": [
        ("fertilisers", "肥料", "удобрения", "тыңайтқыштар", "oʻgʻitlar"),
        ("pharmaceuticals", "医薬品", "фармацевтика", "фармацевтика", "farmatsevtika"),
    ],
    "textiles": [
        ("cotton processing", "綿加工", "переработка хлопка", "мақта өңдеу", "paxtani qayta ishlash"),
        ("textile machinery", "繊維機械", "текстильное оборудование", "тоқыма жабдықтары", "toʻqimachilik uskunalari"),
    ],
    "construction": [
        ("earthquake-resistant construction", "耐震建築", "сейсмостойкое строительство", "сейсмикаға төзімді құрылыс", "zilzilabardosh qurilish"),
        ("building materials", "建材", "строительные материалы", "құрылыс материалдары", "qurilish materiallari"),
    ],
    "transport": [
        ("logistics", "物流", "логистика", "логистика", "logistika"),
        ("rail freight", "鉄道貨物", "железнодорожные грузоперевозки", "темір жол жүк тасымалы", "temir yoʻl yuk tashish"),
        ("cold chain", "コールドチェーン", "холодовая цепь", "суық тізбек", "sovuq zanjir"),
    ],
    "it": [
        ("e-government", "電子政府", "электронное правительство", "электрондық үкімет", "elektron hukumat"),
        ("cybersecurity", "サイバーセキュリティ", "кибербезопасность", "киберқауіпсіздік", "kiberxavfsizlik"),
        ("fintech", "フィンテック", "финтех", "финтех", "fintex"),
    ],
    "finance": [
        ("project finance", "プロジェクトファイナンス", "проектное финансирование", "жобалық қаржыландыру", "loyihaviy moliyalashtirish"),
        ("trade insurance", "貿易保険", "страхование торговли", "сауданы сақтандыру", "savdo sugʻurtasi"),
    ],
    "trade": [
        ("distribution", "販売代理店", "дистрибуция", "дистрибуция", "distributsiya"),
        ("consumer goods", "消費財", "товары народного потребления", "тұтыну тауарлары", "iste'mol tovarlari"),
    ],
    "healthcare": [
        ("medical equipment", "医療機器", "медицинское оборудование", "медициналық жабдықтар", "tibbiy uskunalar"),
        ("hospital management", "病院経営", "управление больницами", "ауруханаларды басқару", "shifoxonalarni boshqarish"),
    ],
    "education": [
        ("engineering training", "技術者研修", "подготовка инженеров", "инженерлерді даярлау", "muhandislar tayyorlash"),
        ("university exchange", "大学交流", "обмен университетов", "университеттер алмасуы", "universitetlar almashinuvi"),
    ],
    "tourism": [
        ("inbound tourism", "インバウンド観光", "въездной туризм", "келу туризмі", "kiruvchi turizm"),
        ("hotel development", "ホテル開発", "строительство гостиниц", "қонақүй құрылысы", "mehmonxona qurilishi"),
    ],
    "environment": [
        ("water treatment", "水処理", "очистка воды", "суды тазарту", "suvni tozalash"),
        ("waste recycling", "廃棄物リサイクル", "переработка отходов", "қалдықтарды қайта өңдеу", "chiqindilarni qayta ishlash"),
    ],
    "consulting": [
        ("market entry", "市場参入支援", "выход на рынок", "нарыққа шығу", "bozorga kirish"),
        ("legal advice", "法務アドバイス", "юридические консультации", "заң кеңестері", "yuridik maslahat"),
    ],
    "media": [
        ("media partnerships", "メディア提携", "медиапартнёрство", "медиа серіктестік", "media hamkorlik"),
    ],
    "association": [
        ("trade missions", "貿易ミッション", "торговые миссии", "сауда миссиялары", "savdo missiyalari"),
        ("investment promotion", "投資促進", "продвижение инвестиций", "инвестицияларды ілгерілету", "investitsiyalarni ragʻbatlantirish"),
    ],
}
# What Central Asian companies bring: a market, sites, raw materials; what Japanese companies look for in return.
CA_OFFERS = [
    ("distribution", "дистрибуция в Центральной Азии", "Орталық Азиядағы дистрибуция", "Markaziy Osiyoda distributsiya"),
    ("industrial sites", "промышленные площадки в СЭЗ", "АЭА-дағы өнеркәсіп алаңдары", "EIZdagi sanoat maydonlari"),
    ("raw materials", "сырьё", "шикізат", "xomashyo"),
    ("logistics", "логистика до Китая и Европы", "Қытай мен Еуропаға логистика", "Xitoy va Yevropaga logistika"),
]
LANGUAGE_OF_COUNTRY = {"JP": "ja", "KZ": "kk", "UZ": "uz", "KG": "ru", "TJ": "ru", "TM": "ru"}
COLUMN = {"ja": 1, "ru": 2, "kk": 3, "uz": 4}


def term(entry: tuple[str, ...], lang: str) -> str:
    """'水処理 (water treatment)': the company's own language with the English term beside it."""
    return f"{entry[COLUMN[lang]]} ({entry[0]})"


def ca_offer(entry: tuple[str, str, str, str], lang: str) -> str:
    own = {"ru": entry[1], "kk": entry[2], "uz": entry[3]}.get(lang, entry[1])
    return f"{own} ({entry[0]})"
