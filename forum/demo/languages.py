"""Issue 13 in the demo: the forums' texts in five languages, a message to the Japanese delegates not yet
checked in, and the Tashkent forum postponed with its delegates' answers coming in.

The Astana forum has every text in every language but its programme, written in English, Japanese and
Russian only: a Kazakh or Uzbek reader gets the Russian one (the fallback of forums.content). The Tashkent
forum has no Kazakh texts at all: a Kazakh reader sees it in Russian.
"""
from __future__ import annotations

from forum.forums.models import Forum, ForumText

ASTANA: dict[str, dict[str, str]] = {
    "en": {
        "practical_info": (
            "Visa: citizens of Japan, Uzbekistan and Kyrgyzstan enter Kazakhstan without a visa for up to 30 days.\n"
            "Transport: shuttle buses run from the Rixos, Hilton and Marriott hotels every 20 minutes from 8:00.\n"
            "Dress code: business attire; national dress is welcome at the gala dinner."),
        "programme": (
            "Day 1\n09:00 Registration and welcome coffee\n10:00 Plenary session: Central Asia + Japan, the next "
            "ten years\n14:00 Sector panels: energy, agriculture, logistics, digital\n19:00 Gala dinner\n\n"
            "Day 2\n09:30 B2B meetings\n15:00 Signing ceremony of agreements and memoranda\n17:00 Closing"),
    },
    "ja": {
        "title": "中央アジア＋日本 ビジネスフォーラム",
        "description": ("カザフスタン、ウズベキスタン、キルギス、タジキスタン、トルクメニスタンと日本の企業による"
                        "2日間の全体会議、分科会、B2B商談。"),
        "venue": "独立宮殿",
        "practical_info": (
            "ビザ：日本国籍の方はビザなしで最長30日間カザフスタンに滞在できます。\n"
            "交通：リクソス、ヒルトン、マリオットの各ホテルから8時より20分ごとにシャトルバスを運行します。\n"
            "服装：ビジネススーツ。ガラディナーでは民族衣装も歓迎します。"),
        "programme": (
            "1日目\n09:00 受付・ウェルカムコーヒー\n10:00 全体会議：中央アジア＋日本、これからの10年\n"
            "14:00 分科会：エネルギー、農業、物流、デジタル\n19:00 ガラディナー\n\n"
            "2日目\n09:30 B2B商談\n15:00 協定・覚書の署名式\n17:00 閉会"),
    },
    "ru": {
        "title": "Деловой форум «Центральная Азия + Япония»",
        "description": ("Два дня пленарных заседаний, отраслевых панелей и B2B-встреч компаний из Казахстана, "
                        "Узбекистана, Кыргызстана, Таджикистана, Туркменистана и Японии."),
        "venue": "Дворец Независимости",
        "practical_info": (
            "Виза: граждане Японии, Узбекистана и Кыргызстана въезжают в Казахстан без визы на срок до 30 дней.\n"
            "Транспорт: шаттлы от гостиниц Rixos, Hilton и Marriott каждые 20 минут с 8:00.\n"
            "Дресс-код: деловой костюм; на гала-ужине приветствуется национальная одежда."),
        "programme": (
            "День 1\n09:00 Регистрация и приветственный кофе\n10:00 Пленарное заседание: Центральная Азия + "
            "Япония, следующие десять лет\n14:00 Отраслевые панели: энергетика, сельское хозяйство, логистика, "
            "цифровые технологии\n19:00 Гала-ужин\n\n"
            "День 2\n09:30 B2B-встречи\n15:00 Церемония подписания соглашений и меморандумов\n17:00 Закрытие"),
    },
    "kk": {
        "title": "«Орталық Азия + Жапония» іскерлік форумы",
        "description": ("Қазақстан, Өзбекстан, Қырғызстан, Тәжікстан, Түрікменстан және Жапония компаниялары "
                        "қатысатын екі күндік пленарлық отырыстар, салалық панельдер және B2B кездесулер."),
        "venue": "Тәуелсіздік сарайы",
        "practical_info": (
            "Виза: Жапония, Өзбекстан және Қырғызстан азаматтары Қазақстанға визасыз 30 күнге дейін келе алады.\n"
            "Көлік: Rixos, Hilton және Marriott қонақүйлерінен сағат 8:00-ден бастап әр 20 минут сайын шаттл "
            "жүреді.\nКиім үлгісі: іскерлік костюм; гала-кешке ұлттық киіммен келуге болады."),
    },
    "uz": {
        "title": "“Markaziy Osiyo + Yaponiya” biznes forumi",
        "description": ("Qozogʻiston, Oʻzbekiston, Qirgʻiziston, Tojikiston, Turkmaniston va Yaponiya kompaniyalari "
                        "ishtirokida ikki kunlik yalpi majlislar, tarmoq panellari va B2B uchrashuvlar."),
        "venue": "Mustaqillik saroyi",
        "practical_info": (
            "Viza: Yaponiya, Oʻzbekiston va Qirgʻiziston fuqarolari Qozogʻistonga 30 kungacha vizasiz kirishadi.\n"
            "Transport: Rixos, Hilton va Marriott mehmonxonalaridan soat 8:00 dan har 20 daqiqada shattl "
            "qatnaydi.\nKiyinish tartibi: ishbilarmonlik kostyumi; gala-kechada milliy libos mamnuniyat bilan "
            "qabul qilinadi."),
    },
}

TASHKENT: dict[str, dict[str, str]] = {
    "en": {
        "practical_info": ("Visa: citizens of Japan and Kazakhstan enter Uzbekistan without a visa for up to 30 "
                           "days.\nDress code: business attire."),
    },
    "ja": {
        "title": "ウズベキスタン・日本 ビジネスフォーラム",
        "description": "繊維、農業、エネルギー、物流：ウズベキスタンと日本の企業がタシケントで出会います。",
        "venue": "タシケント国際会議センター",
    },
    "ru": {
        "title": "Узбекско-японский бизнес-форум",
        "description": ("Текстиль, сельское хозяйство, энергетика и логистика: узбекские и японские компании "
                        "встречаются в Ташкенте."),
        "venue": "Ташкентский международный конгресс-центр",
        "practical_info": ("Виза: граждане Японии и Казахстана въезжают в Узбекистан без визы на срок до 30 "
                           "дней.\nДресс-код: деловой костюм."),
    },
    "uz": {
        "title": "Oʻzbekiston–Yaponiya biznes forumi",
        "description": ("Toʻqimachilik, qishloq xoʻjaligi, energetika va logistika: oʻzbek va yapon kompaniyalari "
                        "Toshkentda uchrashadi."),
        "venue": "Toshkent xalqaro kongress markazi",
    },
}


def add_texts(forum: Forum, texts: dict[str, dict[str, str]]) -> None:
    """The English fields onto the forum, the others as its ForumText rows."""
    for field, value in texts.get("en", {}).items():
        setattr(forum, field, value)
    for lang, fields in texts.items():
        if lang != "en":
            forum.texts.append(ForumText(language=lang, **fields))


POSTPONEMENT_REASONS = {
    "en": ("The Tashkent International Congress Centre is closed for urgent repairs. The forum moves by four "
           "weeks; your registration, badge and B2B meetings stay valid for the new dates."),
    "ru": ("Ташкентский международный конгресс-центр закрыт на срочный ремонт. Форум переносится на четыре "
           "недели; ваша регистрация, бейдж и B2B-встречи остаются в силе на новые даты."),
    "uz": ("Toshkent xalqaro kongress markazi shoshilinch taʼmirlash uchun yopildi. Forum toʻrt haftaga "
           "keyinga qoldiriladi; roʻyxatdan oʻtishingiz, beyjingiz va B2B uchrashuvlaringiz yangi sanalarda ham "
           "amal qiladi."),
    "ja": ("タシケント国際会議センターが緊急改修のため閉鎖されました。フォーラムは4週間延期となります。"
           "ご登録、バッジ、B2B商談は新しい日程でも有効です。"),
}


def _evening(forum: Forum, day):
    """18:00 forum-local on that day, in UTC."""
    from datetime import timezone

    local = forum.local(day).replace(hour=18, minute=0, second=0, microsecond=0)
    return local.astimezone(timezone.utc)


def postpone_tashkent(forum: Forum, organizer, now) -> dict[str, int]:
    """The Tashkent forum postponed by four weeks (each registrant told once, in their language: the mails stay
    in the outbox), and the first answers: three delegates still come, one cannot."""
    from datetime import timedelta

    from forum.postponements import services as postponing
    from forum.postponements.models import Answer

    p = postponing.postpone(forum, new_starts_at=forum.starts_at + timedelta(weeks=4),
                            new_ends_at=forum.ends_at + timedelta(weeks=4), reasons=POSTPONEMENT_REASONS,
                            answer_by=_evening(forum, now + timedelta(days=10)), confirmed=True, by=organizer)
    from forum.db import db

    replies = list(db.session.scalars(postponing.replies_query(p)).unique())
    for reply in replies[:3]:
        postponing.confirm(reply, now=now)
    if len(replies) > 4:
        postponing.decline(replies[4], confirmed=True, now=now)
    counts = postponing.counts(p)
    return {a.value: counts.get(a, 0) for a in Answer}


ANNOUNCEMENT_SUBJECTS = {
    "en": "Collect your badge at the Palace of Independence from 8:00",
    "ja": "バッジは8時から独立宮殿の受付でお受け取りください",
}
ANNOUNCEMENT_BODIES = {
    "en": ("Dear delegate,\n\nYour badge is ready at the registration desk of the Palace of Independence from 8:00 on "
           "the first day. Please bring your passport. Shuttle buses leave the Rixos, Hilton and Marriott hotels "
           "every 20 minutes.\n\nWe look forward to welcoming you."),
    "ja": ("参加者各位\n\n初日8時より、独立宮殿の登録受付にてバッジをお渡しします。パスポートをご持参ください。"
           "リクソス、ヒルトン、マリオットの各ホテルから20分ごとにシャトルバスが出発します。\n\n"
           "皆様のお越しを心よりお待ちしております。"),
}
DRAFT_SUBJECTS = {"ru": "Гала-ужин: подтвердите участие до пятницы", "kk": "Гала-кеш: қатысуыңызды жұмаға дейін растаңыз"}
DRAFT_BODIES = {
    "ru": "Уважаемые коллеги!\n\nПросим подтвердить участие в гала-ужине до пятницы, ответив на это письмо.",
    "kk": "Құрметті әріптестер!\n\nГала-кешке қатысуыңызды жұмаға дейін осы хатқа жауап беру арқылы растауыңызды сұраймыз.",
}


def message_japanese_delegates(forum: Forum, organizer) -> dict[str, int]:
    """The issue's scenario: a message to every Japanese delegate not yet checked in, each in Japanese; one
    delivery refused by its mail server (the log shows the SMTP error and offers to resend it); and a draft to
    the Kazakh- and Russian-reading delegates, not sent."""
    from flask import current_app

    from forum.announcements import services as messages
    from forum.announcements import targeting
    from forum.db import db
    from forum.notifications.models import MailStatus
    from forum.registration.models import RegState

    japanese = targeting.Filter(states=(RegState.APPROVED,), languages=("ja",), checked_in=targeting.Tri.NO)
    ann = messages.save_draft(forum, subjects=ANNOUNCEMENT_SUBJECTS, bodies=ANNOUNCEMENT_BODIES, flt=japanese,
                              by=organizer)
    sent = messages.send(ann, confirmed=True, by=organizer)
    db.session.flush()
    first = db.session.scalars(ann_recipients(ann)).first()
    if first is not None and first.outbox is not None:
        first.outbox.status, first.outbox.attempts = MailStatus.FAILED, current_app.config["MAIL_MAX_ATTEMPTS"]
        first.outbox.last_error = (f"SMTPRecipientsRefused: {{'{first.email}': (550, b'5.1.1 <{first.email}>: "
                                   f"Recipient address rejected: mailbox unavailable')}}")
    messages.save_draft(forum, subjects=DRAFT_SUBJECTS, bodies=DRAFT_BODIES, by=organizer,
                        flt=targeting.Filter(states=(RegState.APPROVED,), languages=("kk", "ru")))
    return {"sent": sent.total, "id": ann.id}


def ann_recipients(ann):
    import sqlalchemy as sa

    from forum.announcements.models import AnnouncementRecipient

    return (sa.select(AnnouncementRecipient).where(AnnouncementRecipient.announcement_id == ann.id)
            .order_by(AnnouncementRecipient.id))
