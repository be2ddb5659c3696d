"""Names, companies, cities and phone numbers for the demo, in each country's own script.

Plain data and small generators driven by the caller's `random.Random`, so the demo is the same
every time. No Flask, no database. Lists are "native=Latin" pairs; the generators combine them.
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

COUNTRIES = ("KZ", "UZ", "KG", "TJ", "TM", "JP")

# Uzbek Latin writes oʻ and gʻ with U+02BB (MODIFIER LETTER TURNED COMMA), not an apostrophe.
# The Uzbek lists below are typed with "'" for legibility and converted here.
UZ_OKINA = "\u02bb"


def _pairs(text: str, uzbek: bool = False) -> list[tuple[str, str]]:
    """'Әлия=Aliya, Uzbek' -> [('Әлия', 'Aliya'), ('Uzbek', 'Uzbek')]; no '=' means the same in both."""
    out = []
    for item in text.replace("\n", " ").split(","):
        item = item.strip()
        if not item:
            continue
        native, _, latin = item.partition("=")
        native, latin = native.strip(), (latin.strip() or native.strip())
        if uzbek:
            native, latin = native.replace("'", UZ_OKINA), latin.replace("'", UZ_OKINA)
        out.append((native, latin))
    return out


@dataclass(frozen=True)
class People:
    male: list[tuple[str, str]]
    female: list[tuple[str, str]]
    surnames: list[tuple[str, str]]  # male form; the female form adds -а / -a
    patronymic_stems: list[tuple[str, str]] | None = None  # Kazakh -ұлы / -қызы surnames


PEOPLE: dict[str, People] = {
    "KZ": People(
        male=_pairs("""Ержан=Yerzhan, Нұрлан=Nurlan, Дәурен=Dauren, Ғалым=Galym, Қайрат=Kairat, Асқар=Askar,
            Серік=Serik, Бауыржан=Bauyrzhan, Жаһангер=Zhakhanger, Әділет=Adilet, Олжас=Olzhas, Талғат=Talgat,
            Мұрат=Murat, Ерлан=Yerlan, Ақжол=Akzhol, Дінмұхамед=Dinmukhamed, Тимур=Timur, Әлібек=Alibek,
            Санжар=Sanzhar, Нұрсұлтан=Nursultan"""),
        female=_pairs("""Әлия=Aliya, Айгерім=Aigerim, Айжан=Aizhan, Гүлнар=Gulnar, Жанар=Zhanar, Мөлдір=Moldir,
            Іңкәр=Inkar, Дана=Dana, Әсем=Assem, Жансая=Zhansaya, Ақмарал=Akmaral, Гүлмира=Gulmira, Сәуле=Saule,
            Динара=Dinara, Назерке=Nazerke, Меруерт=Meruyert, Балжан=Balzhan, Шаһизада=Shakhizada,
            Қарлығаш=Karlygash, Аружан=Aruzhan"""),
        surnames=_pairs("""Қасымов=Kassymov, Әбенов=Abenov, Өмірзақов=Omirzakov, Жұмабаев=Zhumabayev,
            Серікбаев=Serikbayev, Сәрсенбаев=Sarsenbayev, Ысқақов=Yskakov, Бекмұхамедов=Bekmukhamedov,
            Ахметов=Akhmetov, Оспанов=Ospanov, Құдайбергенов=Kudaibergenov, Есенов=Yessenov, Ғабдуллин=Gabdullin,
            Мұқанов=Mukanov, Төлеуов=Toleuov, Иманғалиев=Imangaliyev, Нұрпейісов=Nurpeissov, Смағұлов=Smagulov,
            Әлімжанов=Alimzhanov, Бейсенов=Beissenov, Тұрсынов=Tursynov, Дүйсенов=Duissenov, Қалиев=Kaliyev,
            Байқоңыров=Baikonyrov"""),
        patronymic_stems=_pairs("Нұрлан=Nurlan, Серік=Serik, Ерлан=Yerlan, Бекзат=Bekzat, Асқар=Askar, Марат=Marat"),
    ),
    "UZ": People(
        male=_pairs("""O'ktam, G'ayrat, O'lmas, Jasur, Sardor, Bekzod, Shoxrux, Otabek, Aziz, Doniyor, Ulug'bek,
            Sherzod, Jamshid, Rustam, Farrux, Baxtiyor, Anvar, Shuhrat, Oybek, Temur""", uzbek=True),
        female=_pairs("""Dilnoza, Gulnora, Nodira, Shahnoza, Malika, Feruza, Zulfiya, O'g'iloy, G'uncha, Nilufar,
            Kamola, Munisa, Sevara, Dilorom, Madina, Nargiza, Charos, Mohira, Oydin, Yulduz""", uzbek=True),
        surnames=_pairs("""G'ulomov, To'xtayev, Yo'ldoshev, Qo'chqorov, O'rinov, Rahimov, Usmonov, Xo'jayev,
            Tursunov, Ergashev, Saidov, Nazarov, Abdullayev, Mirzayev, Olimov, Sobirov, Rasulov, Hamidov,
            Qodirov, Islomov, Soatov, Bo'riyev, Normatov, Jo'rayev""", uzbek=True),
    ),
    "KG": People(
        male=_pairs("""Нурбек=Nurbek, Азамат=Azamat, Бакыт=Bakyt, Төлөгөн=Tologon, Үсөн=Uson, Эрлан=Erlan,
            Мирлан=Mirlan, Чыңгыз=Chyngyz, Улан=Ulan, Жыргалбек=Zhyrgalbek, Талант=Talant, Руслан=Ruslan,
            Кубанычбек=Kubanychbek, Алмаз=Almaz, Айбек=Aibek, Нурлан=Nurlan"""),
        female=_pairs("""Айгүл=Aigul, Бактыгүл=Baktygul, Жылдыз=Zhyldyz, Гүлзат=Gulzat, Айпери=Aiperi,
            Нургүл=Nurgul, Чолпон=Cholpon, Бегимай=Begimai, Мээрим=Meerim, Асел=Asel, Элнура=Elnura,
            Күмүшай=Kumushai, Назгүл=Nazgul, Динара=Dinara"""),
        surnames=_pairs("""Асанов=Asanov, Үсөнов=Usonov, Токтогулов=Toktogulov, Мамытов=Mamytov, Бообеков=Boobekov,
            Сыдыков=Sydykov, Абдыкадыров=Abdykadyrov, Осмонов=Osmonov, Төрөбеков=Torobekov, Жумалиев=Zhumaliev,
            Бекболотов=Bekbolotov, Чотбаев=Chotbaev, Момунов=Momunov, Өмүрбеков=Omurbekov, Шаршенов=Sharshenov,
            Керимбеков=Kerimbekov"""),
    ),
    "TJ": People(
        male=_pairs("""Ҷамшед=Jamshed, Фирӯз=Firuz, Маҳмадшо=Mahmadsho, Баҳром=Bahrom, Саидҷон=Saidjon,
            Далер=Daler, Шоҳин=Shohin, Рустам=Rustam, Фаррух=Farrukh, Умед=Umed, Исмоил=Ismoil, Суҳроб=Suhrob,
            Зафар=Zafar, Бахтиёр=Bakhtiyor, Наҷиб=Najib, Қодир=Qodir"""),
        female=_pairs("""Фирӯза=Firuza, Нигина=Nigina, Зарина=Zarina, Мадина=Madina, Шаҳло=Shahlo, Парвина=Parvina,
            Гулчеҳра=Gulchehra, Меҳрангез=Mehrangez, Таҳмина=Tahmina, Манижа=Manizha, Дилафрӯз=Dilafruz,
            Сурайё=Surayyo, Моҳира=Mohira, Нозанин=Nozanin"""),
        surnames=_pairs("""Қодиров=Qodirov, Назаров=Nazarov, Шарифов=Sharifov, Ҳакимов=Hakimov, Саидов=Saidov,
            Мирзоев=Mirzoev, Давлатов=Davlatov, Сафаров=Safarov, Юсуфов=Yusufov, Ғафуров=Ghafurov, Ашуров=Ashurov,
            Муродов=Murodov, Ҷӯраев=Juraev, Холов=Kholov, Шоев=Shoev, Қурбонов=Qurbonov, Ҳусейнов=Huseinov"""),
    ),
    "TM": People(
        male=_pairs("""Merdan, Şatlyk, Döwlet, Meretgeldi, Batyr, Myrat, Aman, Ýazmyrat, Begenç, Arslan, Çary, Nury,
            Öwez, Kerim, Maksat, Döwran, Ylýas, Bäşim, Täçmyrat"""),
        female=_pairs("""Aýna, Jeren, Bägül, Gülşat, Ýazgül, Maýsa, Ogulgerek, Läle, Nurjemal, Aýgül, Mähri, Gözel,
            Şirin, Selbi, Enejan, Aýnabat, Jennet, Meňli"""),
        surnames=_pairs("""Orazow, Annaýew, Öwezow, Çaryýew, Nurmuhammedow, Berdiýew, Hojaýew, Ataýew, Gurbanow,
            Meredow, Saparow, Jumaýew, Rejepow, Amanow, Durdyýew, Baýramow, Şyhmyradow, Geldiýew, Kakajanow,
            Ýagmyrow"""),
    ),
    # Japanese: family name first in both scripts, the Latin family name in capitals as on a passport.
    "JP": People(
        male=_pairs("""太郎=Taro, 健一=Kenichi, 大輔=Daisuke, 翔太=Shota, 誠=Makoto, 浩=Hiroshi, 拓也=Takuya, 直樹=Naoki,
            隆=Takashi, 和也=Kazuya, 健太=Kenta, 亮=Ryo, 修=Osamu, 淳=Jun, 秀樹=Hideki, 雅人=Masato, 悠斗=Yuto"""),
        female=_pairs("""花子=Hanako, 陽子=Yoko, 美咲=Misaki, 由美=Yumi, 恵子=Keiko, 愛=Ai, 真理子=Mariko, 彩=Aya,
            さくら=Sakura, ひかり=Hikari, あおい=Aoi, 優子=Yuko, 智子=Tomoko, 奈々=Nana, 麻衣=Mai"""),
        surnames=_pairs("""山田=Yamada, 佐藤=Sato, 鈴木=Suzuki, 高橋=Takahashi, 田中=Tanaka, 伊藤=Ito, 渡辺=Watanabe,
            中村=Nakamura, 小林=Kobayashi, 加藤=Kato, 吉田=Yoshida, 山本=Yamamoto, 松本=Matsumoto, 井上=Inoue,
            木村=Kimura, 林=Hayashi, 斎藤=Saito, 清水=Shimizu, 森=Mori, 池田=Ikeda, 橋本=Hashimoto, 石川=Ishikawa,
            前田=Maeda, 藤田=Fujita, 岡田=Okada, 長谷川=Hasegawa, 村上=Murakami, 近藤=Kondo"""),
    ),
}

# Share of women among delegates, per country (business delegations are mostly men, sadly).
FEMALE_SHARE = {"KZ": 0.4, "UZ": 0.3, "KG": 0.4, "TJ": 0.25, "TM": 0.3, "JP": 0.2}


@dataclass(frozen=True)
class Person:
    full_name: str
    latin_name: str
    given_latin: str
    family_latin: str


def person(country: str, rng: random.Random) -> Person:
    p = PEOPLE[country]
    female = rng.random() < FEMALE_SHARE[country]
    given, given_l = rng.choice(p.female if female else p.male)
    if p.patronymic_stems and rng.random() < 0.2:
        stem, stem_l = rng.choice(p.patronymic_stems)
        family, family_l = (stem + "қызы", stem_l + "kyzy") if female else (stem + "ұлы", stem_l + "uly")
    else:
        family, family_l = rng.choice(p.surnames)
        if female and country != "JP":
            family, family_l = family + ("a" if country in ("UZ", "TM") else "а"), family_l + "a"
    if country == "JP":
        return Person(f"{family} {given}", f"{family_l.upper()} {given_l}", given_l, family_l)
    return Person(f"{given} {family}", f"{given_l} {family_l}", given_l, family_l)


def ascii_slug(text: str, sep: str = "") -> str:
    """'Gʻulomov' -> 'gulomov', 'Çaryýew' -> 'caryyew', 'Mining & Metals' -> 'mining<sep>metals'."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii())
    return re.sub(r"[^a-z0-9]+", sep, folded.lower()).strip(sep)


def email_local(p: Person, rng: random.Random) -> str:
    given, family = ascii_slug(p.given_latin), ascii_slug(p.family_latin)
    return rng.choice((f"{given}.{family}", f"{given[0]}.{family}", f"{family}.{given}", f"{given}{family[0]}"))


# --- companies --------------------------------------------------------------------------------
# Sector words per country ("native=English", alternatives separated by "|"), name stems, and the
# legal forms as the companies write them: (native pattern, English pattern) around "{n}".

SECTOR_WORDS: dict[str, dict[str, str]] = {
    "KZ": {
        "energy": "Энергия=Energy", "mining": "Кен Металл=Mining & Metals", "agriculture": "Астық=Grain|Агро=Agro",
        "manufacturing": "Өнеркәсіп=Industries", "automotive": "Автомаш=Automash", "chemicals": "Химпром=Chemprom|Фарм=Pharm",
        "textiles": "Тоқыма=Textiles", "construction": "Құрылыс=Construction", "transport": "Логистика=Logistics|Транзит=Transit",
        "it": "Цифрлық Шешімдер=Digital Solutions|Технологиялары=Technologies", "finance": "Капитал=Capital",
        "trade": "Сауда Үйі=Trading House", "healthcare": "Медицина=Medical", "education": "Білім Орталығы=Education Centre",
        "tourism": "Саяхат=Travel", "environment": "Таза Су=Clean Water|Эко=Eco", "consulting": "Консалтинг=Consulting",
        "media": "Медиа=Media",
    },
    "UZ": {
        "energy": "Energiya=Energy", "mining": "Kon-Metall=Mining & Metals", "agriculture": "G'alla=Grain|Agro",
        "manufacturing": "Sanoat=Industries", "automotive": "Avto=Auto", "chemicals": "Kimyo=Chemicals|Farm=Pharm",
        "textiles": "To'qimachilik=Textile", "construction": "Qurilish=Construction", "transport": "Logistika=Logistics",
        "it": "Raqamli Texnologiyalar=Digital Technologies", "finance": "Moliya=Finance", "trade": "Savdo=Trading",
        "healthcare": "Tibbiyot=Medical", "education": "Ta'lim=Education", "tourism": "Sayohat=Travel",
        "environment": "Suv Resurslari=Water Resources", "consulting": "Konsalting=Consulting", "media": "Media",
    },
    "KG": {
        "energy": "Энергия=Energy", "mining": "Кен=Mining", "agriculture": "Агро=Agro", "manufacturing": "Өнөр Жай=Industries",
        "automotive": "Авто=Auto", "chemicals": "Фарм=Pharm", "textiles": "Текстиль=Textile",
        "construction": "Курулуш=Construction", "transport": "Транс=Trans", "it": "Технологиялар=Technologies",
        "finance": "Капитал=Capital", "trade": "Соода=Trading", "healthcare": "Медицина=Medical",
        "education": "Билим=Education", "tourism": "Туризм=Tourism", "environment": "Таза Суу=Clean Water",
        "consulting": "Консалтинг=Consulting", "media": "Медиа=Media",
    },
    "TJ": {
        "energy": "Энергия=Energy", "mining": "Кӯҳкорӣ=Mining", "agriculture": "Агро=Agro", "manufacturing": "Саноат=Industries",
        "automotive": "Авто=Auto", "chemicals": "Фарм=Pharm", "textiles": "Бофандагӣ=Textile",
        "construction": "Сохтмон=Construction", "transport": "Нақлиёт=Transport", "it": "Технология=Technology",
        "finance": "Молия=Finance", "trade": "Савдо=Trading", "healthcare": "Тандурустӣ=Health",
        "education": "Маориф=Education", "tourism": "Сайёҳӣ=Travel", "environment": "Оби Тоза=Clean Water",
        "consulting": "Машварат=Consulting", "media": "Медиа=Media",
    },
    "TM": {
        "energy": "Energiýa=Energy", "mining": "Magdan=Minerals", "agriculture": "Oba Hojalyk=Agro",
        "manufacturing": "Senagat=Industries", "automotive": "Awtoulag=Auto", "chemicals": "Himiýa=Chemicals",
        "textiles": "Dokma=Textile", "construction": "Gurluşyk=Construction|Inžiniring=Engineering",
        "transport": "Ulag=Transport", "it": "Tehnologiýalar=Technologies", "finance": "Maliýe=Finance",
        "trade": "Söwda=Trading", "healthcare": "Saglyk=Health", "education": "Bilim=Education",
        "tourism": "Syýahat=Travel", "environment": "Arassa Suw=Clean Water", "consulting": "Maslahat=Consulting",
        "media": "Media",
    },
    "JP": {
        "energy": "エナジー=Energy|電力=Power", "mining": "鉱業=Mining", "agriculture": "アグリ=Agri|農産=Agricultural Products",
        "manufacturing": "工業=Industries|製作所=Works", "automotive": "自動車部品=Auto Parts|機械=Machinery",
        "chemicals": "化学=Chemical|製薬=Pharmaceutical", "textiles": "繊維=Textile",
        "construction": "建設=Construction|エンジニアリング=Engineering", "transport": "物流=Logistics|海運=Shipping",
        "it": "システムズ=Systems|テック=Tech", "finance": "キャピタル=Capital|リース=Leasing",
        "trade": "商事=Trading|トレーディング=Trading", "healthcare": "メディカル=Medical", "education": "教育=Education",
        "tourism": "ツーリスト=Tourist|トラベル=Travel", "environment": "環境=Environmental|水処理=Water Treatment",
        "consulting": "コンサルティング=Consulting", "media": "メディア=Media|出版=Publishing",
    },
}

STEMS = {
    "KZ": _pairs("""Алтын=Altyn, Қазақ=Kazakh, Дала=Dala, Сарыарқа=Saryarka, Көкше=Kokshe, Жетісу=Zhetysu,
        Ақ Жол=Ak Zhol, Нұр=Nur, Бәйтерек=Baiterek, Ертіс=Irtysh, Тұран=Turan, Ұлытау=Ulytau, Шығыс=Shygys,
        Каспий=Caspian, Алатау=Alatau, Қыран=Kyran, Арай=Arai, Байқоңыр=Baikonyr"""),
    "UZ": _pairs("""O'zbek=Uzbek, Samarqand=Samarkand, Buxoro=Bukhara, Turon, Zarafshon=Zarafshan, Navro'z=Navruz,
        Yangi Asr=New Age, Oltin Vodiy=Golden Valley, Toshkent=Tashkent, Amudaryo=Amudarya, Sharq=Sharq,
        Farg'ona=Fergana, Xorazm=Khorezm, Ipak Yo'li=Silk Road""", uzbek=True),
    "KG": _pairs("""Ала-Тоо=Ala-Too, Ысык-Көл=Issyk-Kul, Теңир-Тоо=Tenir-Too, Манас=Manas, Нарын=Naryn, Чүй=Chui,
        Ак-Суу=Ak-Suu, Кыргыз=Kyrgyz, Айчүрөк=Aichurok, Тулпар=Tulpar, Эркин=Erkin, Бишкек=Bishkek"""),
    "TJ": _pairs("""Помир=Pamir, Зарафшон=Zarafshon, Суғд=Sughd, Хатлон=Khatlon, Ориён=Oriyon, Сомон=Somon,
        Тоҷ=Toj, Ҳисор=Hisor, Варзоб=Varzob, Нур=Nur, Бахт=Bakht, Душанбе=Dushanbe"""),
    "TM": _pairs("""Altyn, Garagum=Karakum, Türkmen=Turkmen, Balkan, Lebap, Jeýhun=Jeyhun, Nusaý=Nusay,
        Köpetdag=Kopetdag, Ak Ýol=Ak Yol, Ahal, Mary, Berkarar, Ýyldyz=Yyldyz"""),
    "JP": _pairs("""青葉=Aoba, 旭=Asahi, 大和=Yamato, 富士=Fuji, 北斗=Hokuto, 三光=Sanko, 東邦=Toho, 日進=Nisshin,
        光洋=Koyo, 昭栄=Shoei, 中央=Chuo, 関東=Kanto, 瀬戸内=Setouchi, 北海=Hokkai, 桜=Sakura, 明星=Myojo,
        双葉=Futaba, 白鳥=Shiratori"""),
}

LEGAL_FORMS = {
    "KZ": [("«{n}» ЖШС", "{n} LLP")] * 4 + [("«{n}» АҚ", "{n} JSC")],
    "UZ": [("«{n}» MChJ", "{n} LLC")] * 4 + [("«{n}» AJ", "{n} JSC")],
    "KG": [("«{n}» ЖЧК", "{n} LLC")] * 4 + [("«{n}» ААК", "{n} OJSC")],
    "TJ": [("ҶДММ «{n}»", "{n} LLC")] * 4 + [("ҶСК «{n}»", "{n} JSC")],
    "TM": [("«{n}» HJ", "{n} LLC")] * 3 + [("«{n}» HK", "{n} Private Enterprise")],
    "JP": [("株式会社{n}", "{n} Co., Ltd.")] * 3 + [("{n}株式会社", "{n} Corporation")],
}

# Chambers and associations: one each, sector "association".
ASSOCIATIONS = {
    "KZ": ("«Қазақстан экспорттаушылар қауымдастығы» ЗТБ", "Association of Exporters of Kazakhstan"),
    "UZ": ("O'zbekiston to'qimachilik sanoati uyushmasi".replace("'", UZ_OKINA), "Uzbek Textile Industry Association"),
    "KG": ("«Кыргыз экспорттоочулар ассоциациясы» ЮЛБ", "Kyrgyz Exporters Association"),
    "JP": ("一般社団法人 中央アジア経済交流協会", "Central Asia Economic Exchange Association"),
}

CITIES = {  # the first is the most likely
    "KZ": ("Almaty", "Astana", "Shymkent", "Karaganda", "Aktobe", "Atyrau", "Oskemen", "Pavlodar", "Aktau", "Kostanay"),
    "UZ": ("Tashkent", "Samarkand", "Bukhara", "Namangan", "Andijan", "Fergana", "Nukus", "Navoiy"),
    "KG": ("Bishkek", "Osh", "Karakol", "Jalal-Abad"),
    "TJ": ("Dushanbe", "Khujand", "Bokhtar", "Kulob"),
    "TM": ("Ashgabat", "Turkmenabat", "Mary", "Dashoguz", "Balkanabat"),
    "JP": ("Tokyo", "Osaka", "Nagoya", "Yokohama", "Fukuoka", "Sapporo", "Kobe", "Kyoto", "Hiroshima", "Sendai"),
}

POSITIONS = ("CEO", "General Director", "Director", "Deputy Director", "Head of International Relations",
             "Export Manager", "Sales Manager", "Business Development Manager", "Chief Engineer", "Financial Director",
             "Project Manager", "Chairman of the Board", "Legal Counsel", "Marketing Manager")
NATIVE_POSITIONS = {
    "KZ": ("Бас директор", "Директордың орынбасары", "Генеральный директор"),
    "UZ": ("Bosh direktor", "Direktor o'rinbosari".replace("'", UZ_OKINA), "Tijorat direktori"),
    "KG": ("Башкы директор", "Директордун орун басары"),
    "TJ": ("Директори генералӣ", "Муовини директор"),
    "TM": ("Baş direktor", "Baş inžener", "Direktoryň orunbasary"),
    "JP": ("代表取締役社長", "取締役", "海外事業部長", "営業部長", "課長", "主任研究員"),
}

LANGUAGES = {  # always spoken, sometimes also spoken
    "KZ": (["kk", "ru"], ["en", "tr", "zh"]),
    "UZ": (["uz", "ru"], ["en", "tr", "ko"]),
    "KG": (["ky", "ru"], ["en", "tr"]),
    "TJ": (["tg", "ru"], ["en", "fr"]),
    "TM": (["tk", "ru"], ["en", "tr"]),
    "JP": (["ja"], ["en", "zh", "ko", "de"]),
}


@dataclass(frozen=True)
class CompanyName:
    legal_name: str
    name_en: str
    slug: str  # for the e-mail domain


def company_name(country: str, sector: str, rng: random.Random) -> CompanyName:
    stem, stem_en = rng.choice(STEMS[country])
    word, word_en = rng.choice(_pairs(SECTOR_WORDS[country][sector].replace("|", ","), uzbek=country == "UZ"))
    native_form, en_form = rng.choice(LEGAL_FORMS[country])
    joined = f"{stem}{word}" if country == "JP" else f"{stem} {word}"
    name_en = f"{stem_en} {word_en}"
    return CompanyName(native_form.format(n=joined), en_form.format(n=name_en), ascii_slug(name_en, "-"))


def city(country: str, rng: random.Random) -> str:
    options = CITIES[country]
    return rng.choices(options, weights=[6] + [1] * (len(options) - 1))[0]


def position(country: str, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(NATIVE_POSITIONS[country])
    return rng.choice(POSITIONS)


def languages(country: str, rng: random.Random) -> list[str]:
    always, sometimes = LANGUAGES[country]
    extra = [code for code in sometimes if rng.random() < (0.6 if code == "en" else 0.08)]
    return always + extra


# --- phones -----------------------------------------------------------------------------------
# Mobile ranges that libphonenumber accepts as valid for each country (checked on every draw).
PHONE_PATTERNS = {
    "KZ": ("+7 70{d:01257} {n3} {n2} {n2}", "+7 747 {n3} {n2} {n2}", "+7 777 {n3} {n2} {n2}"),
    "UZ": ("+998 9{d:0134579} {n3} {n2} {n2}",),
    "KG": ("+996 555 {n3} {n3}", "+996 700 {n3} {n3}", "+996 770 {n3} {n3}"),
    "TJ": ("+992 9{d:0123358} {n3} {n4}",),
    "TM": ("+993 6{d:12345} {n6}",),
    "JP": ("+81 {d:789}0 {nz4} {n4}",),
}
_FIELD = re.compile(r"\{(d:\d+|n\d|nz4)\}")


def phone(country: str, rng: random.Random) -> str:
    """A number that phonenumbers.is_valid_number accepts for `country`, written as people do."""
    for _attempt in range(20):
        pattern = rng.choice(PHONE_PATTERNS[country])

        def fill(m: re.Match) -> str:
            f = m.group(1)
            if f.startswith("d:"):
                return rng.choice(f[2:])
            if f == "nz4":
                return str(rng.randrange(1000, 10000))
            width = int(f[1:])
            return f"{rng.randrange(10 ** width):0{width}d}"

        number = _FIELD.sub(fill, pattern)
        parsed = phonenumbers.parse(number, country)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.region_code_for_number(parsed) == country:
            return number
    raise AssertionError(f"no valid demo phone number for {country}")  # a pattern above is wrong


LATE_REASONS = (
    "Our delegation was confirmed by the ministry only last week.",
    "We learned about the forum from the embassy after the deadline.",
    "Our director's schedule was confirmed yesterday; we would like to present our new plant.",
    "The company was founded this month and wishes to meet Japanese partners.",
    "Our previous registration form was not sent because of a network problem.",
    "We replace a partner company that withdrew and take over its meetings.",
)
ENDORSERS = {
    "UZ": "Chamber of Commerce and Industry of Uzbekistan",
    "KZ": "Embassy of Japan in Kazakhstan",
    "JP": "Japan–Central Asia Business Council",
    "KG": "Chamber of Commerce and Industry of the Kyrgyz Republic",
    "TJ": "Chamber of Commerce and Industry of Tajikistan",
    "TM": "Union of Industrialists and Entrepreneurs of Turkmenistan",
}
REJECTION_REASONS = (
    "The delegate is already registered with another company.",
    "We could not confirm the delegate's affiliation with the company.",
    "The company's activity is outside the forum's programme.",
    "Only two delegates per company can be admitted to the plenary session.",
)
