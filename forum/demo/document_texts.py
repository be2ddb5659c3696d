"""Texts of the demo's documents register (issue 10): the public bodies and chambers that sign besides the
companies, and the titles of the documents in Russian, Japanese and English, per sector."""
from __future__ import annotations

UZ_OKINA = "\u02bb"

# (organisation as it signs, country, party kind, signatory, position): ministries, agencies, chambers.
PUBLIC_BODIES = [
    ("Министерство энергетики Республики Казахстан", "KZ", "government", "Ерлан Ахметов", "Вице-министр"),
    ("Қазақстан Республикасы Сауда және интеграция министрлігі", "KZ", "government", "Әсел Нұрланқызы",
     "Вице-министр"),
    ("Национальная палата предпринимателей Республики Казахстан «Атамекен»", "KZ", "association",
     "Тимур Жақсылықов", "Заместитель председателя правления"),
    (f"O{UZ_OKINA}zbekiston Respublikasi Investitsiyalar, sanoat va savdo vazirligi", "UZ", "government",
     "Laziz Qudratov", "Vazir oʻrinbosari".replace("ʻ", UZ_OKINA)),
    (f"O{UZ_OKINA}zbekiston Respublikasi Savdo-sanoat palatasi", "UZ", "association",
     "Davron Vahobov", "Rais"),
    ("Министерство экономики и коммерции Кыргызской Республики", "KG", "government", "Данияр Амангельдиев",
     "Статс-секретарь"),
    ("Государственный комитет по инвестициям и управлению государственным имуществом Республики Таджикистан",
     "TJ", "government", "Фаррух Хамралиев", "Заместитель председателя"),
    ("Türkmenistanyň Söwda-senagat edarasy", "TM", "association", "Nurmuhammet Amannepesow", "Başlyk"),
    ("独立行政法人日本貿易振興機構（ジェトロ）", "JP", "government", "石黒 憲彦", "理事長"),
    ("株式会社国際協力銀行（JBIC）", "JP", "state_company", "林 信光", "代表取締役総裁"),
    ("一般社団法人日本経済団体連合会", "JP", "association", "十倉 雅和", "会長"),
    ("国立大学法人筑波大学", "JP", "university", "永田 恭介", "学長"),
    ("Asian Development Bank", "PH", "international", "Yevgeniy Zhukov", "Director General, Central and West Asia"),
]

# Titles by sector: (Russian, Japanese, English), with {kind} words filled per document type below.
SUBJECTS = {
    "energy": ("в области возобновляемой энергетики", "再生可能エネルギー分野における", "in renewable energy"),
    "mining": ("в области переработки редкоземельных металлов", "レアアース精錬分野における",
               "on rare-earth processing"),
    "agriculture": ("по экспорту сельскохозяйственной продукции", "農産物輸出に関する", "on agricultural exports"),
    "manufacturing": ("о локализации производства", "現地生産化に関する", "on localising production"),
    "automotive": ("о сборке сельхозтехники", "農業機械の組立に関する", "on assembling farm machinery"),
    "chemicals": ("о поставках фармацевтической продукции", "医薬品供給に関する", "on pharmaceutical supplies"),
    "textiles": ("о переработке хлопка", "綿花加工に関する", "on cotton processing"),
    "construction": ("о строительстве энергоэффективного жилья", "省エネ住宅建設に関する",
                     "on energy-efficient housing"),
    "transport": ("о развитии Транскаспийского маршрута", "カスピ海横断ルートの発展に関する",
                  "on the Trans-Caspian route"),
    "it": ("о цифровизации таможенных процедур", "税関手続きのデジタル化に関する", "on digital customs procedures"),
    "finance": ("о кредитной линии для малого бизнеса", "中小企業向け融資枠に関する",
                "on a credit line for small businesses"),
    "healthcare": ("о поставках медицинского оборудования", "医療機器供給に関する", "on medical equipment supplies"),
    "education": ("об академическом обмене и подготовке инженеров", "学術交流と技術者育成に関する",
                  "on academic exchange and engineer training"),
    "environment": ("в области водоочистки", "水処理分野における", "on water treatment"),
    "tourism": ("о развитии туризма по Шёлковому пути", "シルクロード観光の振興に関する",
                "on Silk Road tourism"),
    "trade": ("о торговом представительстве", "貿易代表事務所に関する", "on a trade representation office"),
}

KIND_WORDS = {  # (Russian, Japanese, English) heads of a title
    "mou": ("Меморандум о взаимопонимании", "覚書", "Memorandum of understanding"),
    "agreement": ("Соглашение о сотрудничестве", "協力協定", "Cooperation agreement"),
    "contract": ("Контракт", "契約", "Contract"),
    "letter_of_intent": ("Письмо о намерениях", "意向書", "Letter of intent"),
    "joint_statement": ("Совместное заявление", "共同声明", "Joint statement"),
}


def titles(kind: str, sector: str) -> dict[str, str]:
    ru_head, ja_head, en_head = KIND_WORDS[kind]
    ru, ja, en = SUBJECTS[sector]
    return {"ru": f"{ru_head} {ru}", "ja": f"{ja}{ja_head}", "en": f"{en_head} {en}"}


# Follow-up notes per status: what the organizers or a party's contact person wrote.
NOTES = {
    "in_progress": ["Рабочая группа собралась в Алматы; согласован график пилотного проекта.",
                    "Technical team visited the site; feasibility study under way.",
                    "双方で実施計画に合意。第1回の技術者派遣は来月。"],
    "implemented": ["First shipment delivered and paid; the parties plan a second contract.",
                    "Пилотная установка введена в эксплуатацию."],
    "stalled": ["Финансирование не подтверждено банком; стороны ищут другой источник.",
                "No answer from the partner since the spring; the chamber has written again."],
    "cancelled": ["The parties agreed to end the memorandum: the project moved to another region."],
}


# Kazakh and Uzbek versions for a few subjects: documents with a Kazakh or Uzbek party are signed in these too.
LOCAL_HEADS = {
    "kk": {"mou": "өзара түсіністік туралы меморандум", "agreement": "ынтымақтастық туралы келісім",
           "contract": "келісімшарт", "letter_of_intent": "ниет хаты", "joint_statement": "бірлескен мәлімдеме"},
    "uz": {"mou": "oʻzaro anglashuv memorandumi", "agreement": "hamkorlik toʻgʻrisida kelishuv",
           "contract": "shartnoma", "letter_of_intent": "niyat xati", "joint_statement": "qoʻshma bayonot"},
}
LOCAL_SUBJECTS = {
    "kk": {"energy": "Жаңартылатын энергетика саласындағы", "agriculture": "Ауыл шаруашылығы өнімдерін экспорттау туралы",
           "environment": "Суды тазарту саласындағы", "transport": "Транскаспий бағытын дамыту туралы",
           "mining": "Сирек жер металдарын өңдеу саласындағы", "education": "Академиялық алмасу және инженерлер даярлау туралы",
           "it": "Кеден рәсімдерін цифрландыру туралы", "healthcare": "Медициналық жабдық жеткізу туралы",
           "manufacturing": "Өндірісті оқшаулау туралы", "automotive": "Ауыл шаруашылығы техникасын құрастыру туралы",
           "chemicals": "Фармацевтикалық өнім жеткізу туралы", "textiles": "Мақтаны өңдеу туралы",
           "construction": "Энергия үнемдейтін тұрғын үй салу туралы",
           "finance": "Шағын бизнеске арналған несие желісі туралы",
           "tourism": "Жібек жолы туризмін дамыту туралы", "trade": "Сауда өкілдігі туралы"},
    "uz": {"energy": "Qayta tiklanuvchi energetika sohasidagi", "textiles": "Paxtani qayta ishlash toʻgʻrisidagi",
           "agriculture": "Qishloq xoʻjaligi mahsulotlarini eksport qilish toʻgʻrisidagi",
           "environment": "Suvni tozalash sohasidagi", "transport": "Transkaspiy yoʻnalishini rivojlantirish toʻgʻrisidagi",
           "tourism": "Buyuk Ipak yoʻli turizmini rivojlantirish toʻgʻrisidagi",
           "finance": "Kichik biznes uchun kredit liniyasi toʻgʻrisidagi",
           "mining": "Noyob yer metallarini qayta ishlash sohasidagi",
           "manufacturing": "Ishlab chiqarishni mahalliylashtirish toʻgʻrisidagi",
           "automotive": "Qishloq xoʻjaligi texnikasini yigʻish toʻgʻrisidagi",
           "chemicals": "Farmatsevtika mahsulotlarini yetkazib berish toʻgʻrisidagi",
           "construction": "Energiya tejamkor uy-joy qurish toʻgʻrisidagi",
           "it": "Bojxona tartib-taomillarini raqamlashtirish toʻgʻrisidagi",
           "healthcare": "Tibbiy uskunalar yetkazib berish toʻgʻrisidagi",
           "education": "Akademik almashinuv va muhandislar tayyorlash toʻgʻrisidagi",
           "trade": "Savdo vakolatxonasi toʻgʻrisidagi"},
}


def local_title(lang: str, kind: str, sector: str) -> str | None:
    subject = LOCAL_SUBJECTS[lang].get(sector)
    if subject is None:
        return None
    return f"{subject} {LOCAL_HEADS[lang][kind]}".replace("ʻ", UZ_OKINA)
