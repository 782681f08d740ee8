"""Seeded, deterministic generator of synthetic accord append requests, as NDJSON.

Each yielded request is `{"stream", "expected_version", "events"}`, the body
`POST /streams/{stream}/events` and `accord import` take, and it always
validates with `events.prepare.prepare_request`. The same seed gives the same
bytes on every run and machine: every choice comes from one `random.Random`,
ids included, and the word pools are drawn once from a fixed seed.

The mix imitates the archive's material: entity streams open with
`EntityRegistered` and agreement streams with `AgreementSigned`, nothing is
referenced before it is registered, about 60 % of facts are `StatementMade`
with Zipf-distributed quotes (some in Russian, a few in Japanese), and
corrections and retractions target a recent event of their own stream.
Sources are copied from about 43,000 prepared ones (publisher, title, maybe a
URL and an excerpt) and dated per event, so an article can back several
facts, as real articles do. The number of streams grows with the size of
the run (about one per 250 events, at least 40), and memory stays bounded by
the number of streams: each keeps its version, a few ids and a handful of
small fields.

Usage: `python -m bench.generate --events 100000 --seed 1 [--per-request 1] [--out FILE|-]`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from bisect import bisect
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import accumulate
from typing import IO, Any

import orjson

__all__ = ["generate", "write_ndjson", "main"]

FIRST_YEAR = 1954
LAST_YEAR = 2026
MIN_STREAMS = 40
EVENTS_PER_STREAM = 250
RECENT_IDS = 8
"""How many recent ids a stream remembers as targets for corrections and retractions."""

# --------------------------------------------------------------------------- vocabulary

# Ranked roughly by frequency: the Zipf weights follow this order.
_EN_COMMON = """
the of and to in a that is for with on we this not are be as it our will by have has was from
at an which all their they but can would been more its us there no these or were also should must
any other between only new such into under after before than both while over very what who one two
do so if now still even about against because out up many those some each most how when where why
""".split()

_EN_DOMAIN = """
cooperation agreement institute research scientists physicists council member states collaboration
experiment accelerator collider detector neutrino particle physics nuclear laboratory international
joint sanctions relations partners vote decision renewal contract data access computing project
programme facility science community colleagues decades years channel dialogue exchange openness
delegation director government ministry academy university students engineers budget contribution
observer status membership protocol memorandum framework peaceful war russia europe japan germany
dubna geneva tsukuba beam energy luminosity upgrade magnet superconducting heavy ion hadron boson
quark plasma spectrometer calorimeter tracker trigger software publication authorship papers results
discovery measurement precision theory model standard symmetry violation dark matter antimatter
neutron source reactor synchrotron radiation laser electron telescope underground signed renewed
extended expired suspended terminated voted abstained postponed agreed welcomed regret hope believe
important crucial unique strategic scientific political practical difficult possible necessary clear
open closed last first next current future months week today time people world country countries
side parties level role interest support position question issue problem situation answer way work
step stage chance risk security spies technologies military civil export control pressure signal
message statement interview press conference session meeting june march december january february
november geneva-based leadership mandate majority two-thirds abstention consensus resolution motion
invasion ukraine belarus kharkiv moscow novosibirsk protvino gatchina hamburg chicago beijing china
india poland czech hungary bulgaria romania serbia armenia kazakhstan uzbekistan mongolia vietnam cuba
egypt decision-makers experts young generation talent brain drain isolation bridge door window west
east science-diplomacy trust confidence continuity legacy history founding founders treaty obligations
statutes convention rules procedures secretariat committee plenipotentiaries delegates ambassadors
ministers envoy visit visited tour hosted received guests welcomed signed-off approved rejected adopted
vetoed debated discussed considered proposed submitted reviewed postponed reconvened extended lapsed
neutrinos telescope baikal kamiokande nica lhc superkekb j-parc comet t2k hyper-k iwcd cherenkov
cp violation flavour muon kaon pion proton antiproton deuteron isotope isotopes element elements
superheavy oganesson flerovium moscovium tennessine cyclotron factory target chemistry radiochemistry
biology medicine therapy imaging materials condensed quantum computing grid cloud storage network
servers analysis simulation reconstruction calibration alignment commissioning shutdown run operation
schedule timeline milestone deadline funding grants fellowships salaries contracts employment visas
passes badges travel border flights conferences workshops schools seminars lectures colloquium
journals preprints arxiv editors reviewers citations authors signatures letter petition appeal
open-letter boycott ban restriction exemption waiver licence permit compliance audit oversight
transparency accountability independence neutrality autonomy sovereignty partnership friendship
mutual benefit complementary synergy capacity infrastructure investment construction installation
""".split()

_EN_ADJ = """
long-standing unprecedented regrettable welcome balanced fair unfair symbolic formal informal
temporary permanent partial full final preliminary official unofficial public private bilateral
multilateral intergovernmental national regional global fundamental applied experimental theoretical
technical legal financial administrative academic personal collective individual historic modern
""".split()

_RU_WORDS = """
и в не на что с мы это как по к для но о из у за от все так же бы только было уже наши есть будет
когда если они он она нас их его этот эти очень может надо нужно сейчас теперь ещё даже между после
до без при через против вместе потому который которые
сотрудничество соглашение институт физика физики учёные исследования совет голосование решение
санкции отношения партнёры коллаборация эксперимент ускоритель коллайдер детектор нейтрино частицы
ядерной лаборатория международный объединённый ЦЕРН ОИЯИ Дубна Женева КЕК Япония Россия Европа
Германия Украина Беларусь Китай наука дипломатия канал диалог открытость обмен делегация директор
правительство министерство академия университет студенты инженеры бюджет взнос наблюдатель статус
членство протокол меморандум договор мирный война сигнал сообщение интервью пресс-конференция
заседание сессия продление приостановка прекращение истекает подписали продлили проголосовали
воздержалась отложили согласились приветствуем сожалеем надеемся считаем важно уникальный
стратегический научный политический практический сложный возможно необходимо ясно открытый
закрытый последний первый следующий будущее годы десятилетия месяцы неделя сегодня время люди мир
страна страны стороны уровень роль интерес поддержка позиция вопрос проблема ситуация ответ путь
работа шаг этап шанс риск безопасность технологии давление NICA Байкал нейтринный телескоп
синхротрон нейтронный реактор пучок энергия светимость магнит сверхпроводящий тяжёлых ионов адронный
бозон кварк плазма спектрометр калориметр программа проект установка данные вычисления сеть грид
публикации статьи авторы подписи письмо петиция обращение бойкот запрет ограничения пропуска визы
командировки конференции семинары школы молодёжь поколение таланты изоляция мост окно Запад Восток
доверие преемственность история наследие основатели устав конвенция правила комитет
полномочных представителей делегаты послы министры визит посетили принимали гости одобрили
отклонили приняли обсудили рассмотрели предложили
""".split()

_JA_TOKENS = """
私たち は の に を が と で も です ます 協力 協定 研究 研究所 加速器 ニュートリノ 実験 物理学
素粒子 共同 国際 署名 締結 更新 交流 研究者 学生 技術 開発 計画 施設 検出器 推進 期待 重要
高エネルギー加速器研究機構 合同原子核研究所 ドゥブナ つくば 東海 神岡 ハイパーカミオカンデ
J-PARC スーパーKEKB 長年 友好 基盤 次の段階 参加 提案 具体的 分野 理論 実験的 平和的
目的 枠組み 学術 交流 促進 将来 可能性 議論 会議 訪問 代表団 所長 機構長 述べた 語った
考えています 信じています 確信しています 新しい 大きな 深い 関心 互いに 補完的 成功 鍵
""".split()

_SYLLABLE_ONSETS = ["b", "d", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "tr", "st", "gr", "pl", "ch", "sh", "f", "g"]
_SYLLABLE_VOWELS = ["a", "e", "i", "o", "u", "ia", "eo", "ou"]
_SYLLABLE_CODAS = ["", "", "n", "r", "s", "x", "l", "m", "th", "nt"]
_RU_ONSETS = ["б", "в", "д", "к", "л", "м", "н", "п", "р", "с", "т", "з", "тр", "ст", "гр", "пл", "ч", "ш", "ф", "г"]
_RU_VOWELS = ["а", "е", "и", "о", "у", "я", "ё", "ы"]
_RU_CODAS = ["", "", "н", "р", "с", "к", "л", "м", "ть", "ный", "ская", "ов"]

_POOL_EN = 1 << 18
_POOL_RU = 1 << 16
_POOL_JA = 1 << 14
_ZIPF_EXPONENT = 1.07


def _synthetic_words(rng: random.Random, count: int, onsets: list[str], vowels: list[str], codas: list[str], taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 3))) + rng.choice(codas)
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _zipf_pool(rng: random.Random, vocabulary: list[str], size: int) -> list[str]:
    weights = [1.0 / rank**_ZIPF_EXPONENT for rank in range(1, len(vocabulary) + 1)]
    return rng.choices(vocabulary, cum_weights=list(accumulate(weights)), k=size)


class _Corpus:
    """Long Zipf-distributed word sequences; a text is a slice of one, so it costs one join."""

    def __init__(self) -> None:
        rng = random.Random(0xACC0D)
        en = list(dict.fromkeys(_EN_COMMON + _EN_DOMAIN + _EN_ADJ))
        en += _synthetic_words(rng, 3000 - len(en), _SYLLABLE_ONSETS, _SYLLABLE_VOWELS, _SYLLABLE_CODAS, set(en))
        ru = list(dict.fromkeys(_RU_WORDS))
        ru += _synthetic_words(rng, 1500 - len(ru), _RU_ONSETS, _RU_VOWELS, _RU_CODAS, set(ru))
        self.en = _zipf_pool(rng, en, _POOL_EN)
        self.ru = _zipf_pool(rng, ru, _POOL_RU)
        self.ja = _zipf_pool(rng, list(dict.fromkeys(_JA_TOKENS)), _POOL_JA)
        self.sources = {
            "en": _source_pool(rng, _OUTLETS_EN, self.en, "en", 1 << 15),
            "ru": _source_pool(rng, _OUTLETS_RU, self.ru, "ru", 1 << 13),
            "ja": _source_pool(rng, _OUTLETS_JA, self.ja, "ja", 1 << 11),
        }


def _source_pool(rng: random.Random, outlets: list[tuple[str, str]], pool: list[str], lang: str, size: int) -> list[dict[str, Any]]:
    """Prepared sources without a date; an event copies one and adds `published` (and maybe its own quote)."""
    built = []
    for _ in range(size):
        publisher, domain = outlets[int(len(outlets) * rng.random() ** 1.6)]
        k = rng.randint(5, 11)
        start = rng.randrange(len(pool) - 32)
        words = pool[start : start + k]
        if lang == "ja":
            title = "".join(words)
        elif lang == "ru":
            title = " ".join(words)
            title = title[0].upper() + title[1:]
        else:
            title = " ".join(words).title()
        source: dict[str, Any] = {"publisher": publisher, "title": title}
        if rng.random() < 0.55:
            if lang == "en":
                source["url"] = f"https://{domain}/{rng.choice(_URL_SECTIONS)}/{'-'.join(words[:8])}"
            else:
                source["url"] = f"https://{domain}/news/{rng.getrandbits(24)}"
            if rng.random() < 0.12:
                source["archived_url"] = f"https://web.archive.org/web/{source['url']}"
        if rng.random() < 0.5:
            start = rng.randrange(len(pool) - 32)
            source["quote"] = ("" if lang == "ja" else " ").join(pool[start : start + rng.randint(8, 18)])
        source["language"] = lang
        built.append(source)
    return built


@lru_cache(maxsize=1)
def _corpus() -> _Corpus:
    return _Corpus()


# --------------------------------------------------------------------------- sources

_URL_SECTIONS = ["news", "science", "world", "articles", "en/news", "press", "2024", "2025", "stories"]

# (publisher, domain): English, Russian and Japanese outlets
_OUTLETS_EN = [
    ("TASS", "tass.com"), ("Nature", "www.nature.com"), ("Science", "www.science.org"),
    ("The Times", "www.thetimes.co.uk"), ("Reuters", "www.reuters.com"), ("CERN Courier", "cerncourier.com"),
    ("JINR", "www.jinr.ru"), ("KEK", "www.kek.jp"), ("CERN", "home.cern"), ("Physics World", "physicsworld.com"),
    ("Symmetry Magazine", "www.symmetrymagazine.org"), ("The Guardian", "www.theguardian.com"),
    ("BBC News", "www.bbc.com"), ("Financial Times", "www.ft.com"), ("The New York Times", "www.nytimes.com"),
    ("The Washington Post", "www.washingtonpost.com"), ("Associated Press", "apnews.com"),
    ("Agence France-Presse", "www.afp.com"), ("Deutsche Welle", "www.dw.com"), ("Politico Europe", "www.politico.eu"),
    ("Science|Business", "sciencebusiness.net"), ("Times Higher Education", "www.timeshighereducation.com"),
    ("Physics Today", "pubs.aip.org"), ("New Scientist", "www.newscientist.com"),
    ("Scientific American", "www.scientificamerican.com"), ("APS News", "www.aps.org"), ("ESO", "www.eso.org"),
    ("EMBL", "www.embl.org"), ("DESY", "www.desy.de"), ("Fermilab News", "news.fnal.gov"),
    ("Research Professional News", "www.researchprofessionalnews.com"), ("Chemistry World", "www.chemistryworld.com"),
    ("The Moscow Times", "www.themoscowtimes.com"), ("Meduza", "meduza.io"), ("The Kyiv Independent", "kyivindependent.com"),
    ("Euractiv", "www.euractiv.com"), ("Swissinfo", "www.swissinfo.ch"), ("Kyodo News", "english.kyodonews.net"),
    ("The Japan Times", "www.japantimes.co.jp"), ("Xinhua", "english.news.cn"), ("South China Morning Post", "www.scmp.com"),
    ("Science Magazine News", "www.science.org"), ("Undark", "undark.org"),
]
_OUTLETS_RU = [
    ("TASS", "tass.ru"), ("Vedomosti", "www.vedomosti.ru"), ("T-invariant", "t-invariant.org"),
    ("Interfax", "www.interfax.ru"), ("RIA Novosti", "ria.ru"), ("Kommersant", "www.kommersant.ru"),
    ("Troitsky Variant", "trv-science.ru"), ("Novaya Gazeta", "novayagazeta.ru"), ("Izvestia", "iz.ru"),
    ("Indicator.ru", "indicator.ru"), ("Poisk", "poisknews.ru"), ("Gazeta.ru", "www.gazeta.ru"), ("RBC", "www.rbc.ru"),
    ("Dubna: Science, Cooperation, Progress", "dubna.jinr.ru"), ("Nauka i Zhizn", "www.nkj.ru"),
]
_OUTLETS_JA = [
    ("NHK", "www3.nhk.or.jp"), ("Asahi Shimbun", "www.asahi.com"), ("Yomiuri Shimbun", "www.yomiuri.co.jp"),
    ("Nikkei", "www.nikkei.com"), ("Mainichi Shimbun", "mainichi.jp"), ("KEK", "www.kek.jp"),
]

# --------------------------------------------------------------------------- entities

# (slug, name, aliases, description)
_ORGS = [
    ("cern", "European Organization for Nuclear Research", ["CERN", "ЦЕРН"], "Intergovernmental particle physics laboratory near Geneva."),
    ("jinr", "Joint Institute for Nuclear Research", ["JINR", "ОИЯИ"], "Intergovernmental nuclear physics research centre in Dubna."),
    ("kek", "High Energy Accelerator Research Organization", ["KEK", "高エネルギー加速器研究機構"], "Japanese national accelerator laboratory in Tsukuba."),
    ("desy", "Deutsches Elektronen-Synchrotron", ["DESY"], "German national accelerator research centre in Hamburg."),
    ("fermilab", "Fermi National Accelerator Laboratory", ["Fermilab", "FNAL"], "United States particle physics laboratory near Chicago."),
    ("ras", "Russian Academy of Sciences", ["RAS", "РАН"], "The national academy of sciences of the Russian Federation."),
    ("embl", "European Molecular Biology Laboratory", ["EMBL"], "Intergovernmental life sciences laboratory."),
    ("eso", "European Southern Observatory", ["ESO"], "Intergovernmental astronomy organisation."),
    ("esrf", "European Synchrotron Radiation Facility", ["ESRF"], "Intergovernmental synchrotron light source in Grenoble."),
    ("kurchatov-institute", "National Research Centre Kurchatov Institute", ["Kurchatov Institute", "Курчатовский институт"], None),
    ("binp", "Budker Institute of Nuclear Physics", ["BINP", "ИЯФ СО РАН"], "Accelerator and nuclear physics institute in Novosibirsk."),
    ("ihep-protvino", "Institute for High Energy Physics", ["IHEP Protvino", "ИФВЭ"], None),
    ("inr-ras", "Institute for Nuclear Research of the Russian Academy of Sciences", ["INR RAS", "ИЯИ РАН"], None),
    ("mephi", "National Research Nuclear University MEPhI", ["MEPhI", "НИЯУ МИФИ"], None),
    ("msu", "Lomonosov Moscow State University", ["MSU", "МГУ"], None),
    ("ihep-beijing", "Institute of High Energy Physics, Chinese Academy of Sciences", ["IHEP", "中国科学院高能物理研究所"], None),
    ("riken", "RIKEN", ["理化学研究所"], "Japanese national research institute."),
    ("gsi", "GSI Helmholtz Centre for Heavy Ion Research", ["GSI"], None),
    ("psi", "Paul Scherrer Institute", ["PSI"], None),
    ("infn", "Istituto Nazionale di Fisica Nucleare", ["INFN"], "Italian national institute for nuclear physics."),
    ("cnrs", "French National Centre for Scientific Research", ["CNRS"], None),
    ("in2p3", "National Institute of Nuclear and Particle Physics", ["IN2P3"], None),
    ("stfc", "Science and Technology Facilities Council", ["STFC"], None),
    ("nikhef", "Dutch National Institute for Subatomic Physics", ["Nikhef"], None),
    ("triumf", "TRIUMF", ["TRIUMF"], "Canada's particle accelerator centre."),
    ("bnl", "Brookhaven National Laboratory", ["BNL"], None),
    ("slac", "SLAC National Accelerator Laboratory", ["SLAC"], None),
    ("nasu", "National Academy of Sciences of Ukraine", ["NASU", "НАН України"], None),
    ("kipt", "Kharkiv Institute of Physics and Technology", ["KIPT", "ХФТІ"], None),
    ("ifj-pan", "Institute of Nuclear Physics, Polish Academy of Sciences", ["IFJ PAN"], None),
    ("iaea", "International Atomic Energy Agency", ["IAEA", "МАГАТЭ"], None),
    ("unesco", "UNESCO", ["ЮНЕСКО"], None),
    ("european-commission", "European Commission", ["EC"], None),
    ("minobrnauki", "Ministry of Science and Higher Education of the Russian Federation", ["Minobrnauki", "Минобрнауки России"], None),
    ("rosatom", "Rosatom State Atomic Energy Corporation", ["Rosatom", "Росатом"], None),
    ("jaea", "Japan Atomic Energy Agency", ["JAEA"], None),
    ("tifr", "Tata Institute of Fundamental Research", ["TIFR"], None),
    ("sesame", "SESAME", ["Synchrotron-light for Experimental Science and Applications in the Middle East"], None),
    ("ictp", "Abdus Salam International Centre for Theoretical Physics", ["ICTP"], None),
]

_COUNTRIES = [
    ("germany", "Германия"), ("france", "Франция"), ("italy", "Италия"), ("united-kingdom", "Великобритания"),
    ("spain", "Испания"), ("poland", "Польша"), ("czech-republic", "Чехия"), ("slovakia", "Словакия"),
    ("hungary", "Венгрия"), ("bulgaria", "Болгария"), ("romania", "Румыния"), ("greece", "Греция"),
    ("portugal", "Португалия"), ("netherlands", "Нидерланды"), ("belgium", "Бельгия"), ("austria", "Австрия"),
    ("switzerland", "Швейцария"), ("sweden", "Швеция"), ("norway", "Норвегия"), ("finland", "Финляндия"),
    ("denmark", "Дания"), ("israel", "Израиль"), ("serbia", "Сербия"), ("slovenia", "Словения"),
    ("estonia", "Эстония"), ("latvia", "Латвия"), ("lithuania", "Литва"), ("ukraine", "Украина"),
    ("russia", "Россия"), ("belarus", "Беларусь"), ("kazakhstan", "Казахстан"), ("uzbekistan", "Узбекистан"),
    ("armenia", "Армения"), ("azerbaijan", "Азербайджан"), ("georgia", "Грузия"), ("moldova", "Молдова"),
    ("mongolia", "Монголия"), ("vietnam", "Вьетнам"), ("cuba", "Куба"), ("egypt", "Египет"),
    ("south-africa", "ЮАР"), ("japan", "Япония"), ("china", "Китай"), ("india", "Индия"),
    ("united-states", "США"), ("canada", "Канада"), ("brazil", "Бразилия"), ("mexico", "Мексика"),
    ("turkey", "Турция"), ("iran", "Иран"), ("pakistan", "Пакистан"), ("cyprus", "Кипр"),
    ("croatia", "Хорватия"), ("ireland", "Ирландия"), ("chile", "Чили"), ("argentina", "Аргентина"),
    ("australia", "Австралия"), ("south-korea", "Республика Корея"), ("tajikistan", "Таджикистан"),
    ("kyrgyzstan", "Киргизия"), ("indonesia", "Индонезия"), ("thailand", "Таиланд"), ("malaysia", "Малайзия"),
    ("nigeria", "Нигерия"), ("ghana", "Гана"), ("jordan", "Иордания"), ("montenegro", "Черногория"),
    ("north-macedonia", "Северная Македония"), ("iceland", "Исландия"), ("luxembourg", "Люксембург"),
    ("new-zealand", "Новая Зеландия"), ("north-korea", "КНДР"),
]

_BODIES = [
    ("cern-council", "CERN Council", ["Совет ЦЕРН"], "The governing body of CERN, one delegation per member state."),
    ("jinr-cp", "JINR Committee of Plenipotentiaries", ["КПП ОИЯИ", "Committee of Plenipotentiaries"], "The supreme governing body of JINR."),
    ("jinr-scientific-council", "JINR Scientific Council", ["Учёный совет ОИЯИ"], None),
    ("eso-council", "ESO Council", [], None),
    ("embl-council", "EMBL Council", [], None),
    ("esrf-council", "ESRF Council", [], None),
    ("iaea-board", "IAEA Board of Governors", ["Совет управляющих МАГАТЭ"], None),
    ("ras-presidium", "Presidium of the Russian Academy of Sciences", ["Президиум РАН"], None),
    ("cern-finance-committee", "CERN Finance Committee", [], None),
    ("cern-spc", "CERN Scientific Policy Committee", ["SPC"], None),
    ("european-council", "European Council", [], None),
    ("kek-board", "KEK Management Council", [], None),
]
_BODY_KINDS = ["Scientific Council", "Board of Governors", "Council", "Supervisory Board", "Programme Advisory Committee", "Finance Committee"]

_FACILITIES = [
    ("nica", "Nuclotron-based Ion Collider fAcility", ["NICA"], "Heavy-ion collider complex at JINR, Dubna."),
    ("lhc", "Large Hadron Collider", ["LHC", "БАК"], "The 27 km proton collider at CERN."),
    ("baikal-gvd", "Baikal-GVD Neutrino Telescope", ["Baikal-GVD", "Байкал-GVD"], "Gigaton-volume neutrino telescope in Lake Baikal."),
    ("superkekb", "SuperKEKB", ["スーパーKEKB"], "Electron-positron collider at KEK."),
    ("j-parc", "Japan Proton Accelerator Research Complex", ["J-PARC"], None),
    ("hyper-kamiokande", "Hyper-Kamiokande", ["Hyper-K", "ハイパーカミオカンデ"], None),
    ("ibr-2", "IBR-2 Pulsed Reactor", ["ИБР-2"], None),
    ("european-xfel", "European XFEL", [], None),
    ("fair", "Facility for Antiproton and Ion Research", ["FAIR"], None),
    ("pik-reactor", "PIK Reactor", ["ПИК"], None),
    ("sps", "Super Proton Synchrotron", ["SPS"], None),
    ("hl-lhc", "High-Luminosity LHC", ["HL-LHC"], None),
    ("vepp-2000", "VEPP-2000", ["ВЭПП-2000"], None),
    ("dune", "Deep Underground Neutrino Experiment", ["DUNE"], None),
    ("juno", "Jiangmen Underground Neutrino Observatory", ["JUNO"], None),
    ("ska", "Square Kilometre Array", ["SKA"], None),
    ("iter", "ITER", [], None),
    ("skif", "Siberian Circular Photon Source", ["SKIF", "СКИФ"], None),
    ("ess", "European Spallation Source", ["ESS"], None),
]
_FACILITY_KINDS = [
    "Neutron Source", "Synchrotron Light Source", "Heavy Ion Accelerator", "Neutrino Observatory", "Cyclotron Complex",
    "Data Centre", "Radio Telescope", "Tokamak", "Free-Electron Laser", "Underground Laboratory",
]

_CITIES = """
Dubna Geneva Tsukuba Hamburg Novosibirsk Protvino Gatchina Troitsk Tomsk Kazan Yekaterinburg Sarov Obninsk
Moscow Almaty Tashkent Yerevan Tbilisi Minsk Kyiv Kharkiv Warsaw Krakow Prague Bratislava Budapest Sofia
Bucharest Belgrade Ljubljana Vienna Munich Heidelberg Darmstadt Grenoble Paris Lyon Milan Frascati Trieste
Madrid Barcelona Lisbon Amsterdam Lund Uppsala Helsinki Oslo Copenhagen Oxford Daresbury Chicago Batavia
Berkeley Vancouver Beijing Shanghai Hefei Lanzhou Mumbai Kolkata Kyoto Osaka Sendai Tokai Kamioka Seoul
Daejeon Ulaanbaatar Hanoi Havana Cairo Santiago
""".split()
_FIELDS = [
    "Nuclear Physics", "High Energy Physics", "Theoretical Physics", "Applied Physics", "Nuclear Research",
    "Particle Physics", "Radiation Technology", "Materials Science", "Accelerator Technology", "Cosmic Ray Physics",
    "Neutron Research", "Computational Physics", "Condensed Matter Physics", "Plasma Physics", "Astroparticle Physics",
    "Quantum Technologies", "Radiochemistry", "Medical Physics", "Information Technologies", "Biophysics",
]
_ORG_FORMS = ["{city} Institute of {field}", "{city} Centre for {field}", "{field} Laboratory of {city}", "{city} University of {field}"]

_RU_FIRST = [
    ("Ivan", "Иван"), ("Sergei", "Сергей"), ("Alexei", "Алексей"), ("Dmitry", "Дмитрий"), ("Andrei", "Андрей"),
    ("Vladimir", "Владимир"), ("Mikhail", "Михаил"), ("Nikolai", "Николай"), ("Yuri", "Юрий"), ("Pavel", "Павел"),
    ("Viktor", "Виктор"), ("Grigory", "Григорий"), ("Boris", "Борис"), ("Oleg", "Олег"), ("Igor", "Игорь"),
    ("Konstantin", "Константин"), ("Roman", "Роман"), ("Anton", "Антон"), ("Maxim", "Максим"), ("Yevgeny", "Евгений"),
]
_RU_FIRST_F = [
    ("Anna", "Анна"), ("Elena", "Елена"), ("Olga", "Ольга"), ("Tatiana", "Татьяна"), ("Natalia", "Наталья"),
    ("Irina", "Ирина"), ("Maria", "Мария"), ("Svetlana", "Светлана"), ("Yulia", "Юлия"), ("Ekaterina", "Екатерина"),
]
_RU_LAST = [
    ("Ivanov", "Иванов"), ("Petrov", "Петров"), ("Sokolov", "Соколов"), ("Kuznetsov", "Кузнецов"), ("Popov", "Попов"),
    ("Lebedev", "Лебедев"), ("Kozlov", "Козлов"), ("Novikov", "Новиков"), ("Morozov", "Морозов"), ("Volkov", "Волков"),
    ("Solovyov", "Соловьёв"), ("Vasiliev", "Васильев"), ("Zaitsev", "Зайцев"), ("Pavlov", "Павлов"), ("Semenov", "Семёнов"),
    ("Golubev", "Голубев"), ("Vinogradov", "Виноградов"), ("Bogdanov", "Богданов"), ("Vorobyov", "Воробьёв"),
    ("Fedorov", "Фёдоров"), ("Mikhailov", "Михайлов"), ("Belyaev", "Беляев"), ("Tarasov", "Тарасов"), ("Belov", "Белов"),
    ("Komarov", "Комаров"), ("Orlov", "Орлов"), ("Kiselev", "Киселёв"), ("Makarov", "Макаров"), ("Andreev", "Андреев"),
    ("Kovalev", "Ковалёв"), ("Ilyin", "Ильин"), ("Gusev", "Гусев"), ("Titov", "Титов"), ("Kuzmin", "Кузьмин"),
    ("Kudryavtsev", "Кудрявцев"), ("Baranov", "Баранов"), ("Kulikov", "Куликов"), ("Alekseev", "Алексеев"),
    ("Stepanov", "Степанов"), ("Yakovlev", "Яковлев"), ("Sorokin", "Сорокин"), ("Sergeev", "Сергеев"),
    ("Romanov", "Романов"), ("Zakharov", "Захаров"), ("Borisov", "Борисов"), ("Korolev", "Королёв"),
    ("Gerasimov", "Герасимов"), ("Ponomarev", "Пономарёв"), ("Grigoriev", "Григорьев"), ("Lazarev", "Лазарев"),
]
_JA_FIRST = [
    ("Hiroshi", "博"), ("Takashi", "隆"), ("Kenji", "健二"), ("Satoshi", "聡"), ("Yuki", "由紀"), ("Akira", "明"),
    ("Masahiro", "正博"), ("Naoko", "直子"), ("Keiko", "恵子"), ("Tomoko", "智子"), ("Kazuo", "和夫"), ("Haruki", "春樹"),
    ("Ryo", "亮"), ("Daisuke", "大輔"), ("Yoshio", "義雄"), ("Makoto", "誠"),
]
_JA_LAST = [
    ("Sato", "佐藤"), ("Suzuki", "鈴木"), ("Takahashi", "高橋"), ("Tanaka", "田中"), ("Watanabe", "渡辺"), ("Ito", "伊藤"),
    ("Yamamoto", "山本"), ("Nakamura", "中村"), ("Kobayashi", "小林"), ("Kato", "加藤"), ("Yoshida", "吉田"),
    ("Yamada", "山田"), ("Sasaki", "佐々木"), ("Matsumoto", "松本"), ("Inoue", "井上"), ("Kimura", "木村"),
    ("Hayashi", "林"), ("Shimizu", "清水"), ("Yamaguchi", "山口"), ("Mori", "森"),
]
_WEST_FIRST = """
John Michael David Peter Thomas Martin Anna Maria Laura Sophie Paolo Marco Giulia Francesca Jean Pierre Claire
Hans Klaus Stefan Andreas Katrin Jan Piotr Tomasz Agnieszka Olena Oleksandr Mykola Iryna Taras Bohdan Carlos
Lars Ingrid Erik Emma James Robert Sarah Rachel Wei Jing Ming Lei Priya Arjun
""".split()
_WEST_LAST = """
Smith Mueller Schmidt Schneider Fischer Weber Wagner Becker Rossi Russo Ferrari Bianchi Romano Martin Bernard
Dubois Durand Lefebvre Moreau Kowalski Nowak Wisniewski Novak Svoboda Horvat Kovacs Nagy Garcia Martinez Lopez
Johansson Andersson Nielsen Hansen Jensen Brown Taylor Wilson Evans Walker Shevchenko Bondarenko Kovalenko
Tkachenko Melnyk Janssen Peeters Dupont Keller Wang Zhang Liu Chen Sharma Gupta
""".split()
_ROLES = [
    "Director of", "Deputy Director of", "Director General of", "physicist at", "senior researcher at",
    "head of international cooperation at", "spokesperson of a collaboration at", "Vice-President of",
    "theorist at", "accelerator physicist at", "press secretary of", "delegate to the council of",
    "engineer at", "PhD student at", "group leader at", "former director of", "chief scientist of",
]
_ANONYMOUS = ["a {label} physicist", "an official of {label}", "a senior researcher at {label}",
              "a member of the {label} delegation", "a source close to {label}", "an engineer at {label}"]

# --------------------------------------------------------------------------- payload vocabulary

_CONTEXTS = [
    "at a press conference after the council session", "in an interview before the vote",
    "at the session of the Scientific Council", "during the visit of the delegation",
    "at the signing ceremony", "in a letter to the member states", "at a round table on science diplomacy",
    "in a televised address", "at the annual users' meeting", "in comments to journalists in the corridor",
    "at a parliamentary hearing", "in a statement on the institute's website", "at the opening of the new facility",
    "on the sidelines of an international conference", "in an open letter signed by researchers",
    "in remarks to the staff", "at a briefing for foreign correspondents", "in a podcast interview",
]
_MEDIA = ["interview", "speech", "press release", "letter", "press conference", "op-ed", "social media post",
          "television interview", "council session", "blog post", "radio interview"]
_PURPOSES = [
    "to discuss joint participation in the neutrino programme", "to sign a cooperation agreement",
    "to visit the accelerator complex and meet the leadership", "to prepare proposals for joint experiments",
    "to attend the session of the Scientific Council", "to review progress on detector construction",
    "to discuss the future of the cooperation after the council decision", "to open a joint laboratory",
    "to discuss training of young scientists and student exchange", "to take part in the technological launch of the collider",
    "to negotiate the renewal of the agreement", "to present the institute's scientific programme",
]
_TOPICS = [
    "academic exchange", "joint experiments in particle physics", "accelerator technology", "neutrino physics",
    "computing and data storage", "training of young scientists", "access to the user facilities",
    "heavy-ion physics", "detector research and development", "radiation biology", "nuclear medicine",
    "superconducting magnets", "theoretical physics", "condensed matter research with neutrons",
    "information technologies", "exchange of personnel", "intellectual property", "financial contributions",
    "the use of the grid infrastructure", "peaceful uses of nuclear energy", "publication and authorship rules",
]
_CORRECTION_REASONS = [
    "The date was misread in the original report.", "The publisher issued a correction.",
    "The quote was attributed to the wrong speaker.", "A typo in the source text was copied.",
    "A later report gives the exact figures.", "The translation was inaccurate.",
    "The archivist confused two sessions of the council.", "The official minutes differ from the press report.",
]
_RETRACTION_REASONS = [
    "The source retracted the article.", "Duplicate of an earlier entry.", "The statement could not be verified.",
    "The event was reported in advance and did not take place.", "The quote was fabricated by a parody account.",
    "Entered in the wrong stream.",
]
_THRESHOLDS = ["two-thirds", "simple majority", "two-thirds of the member states", "unanimity", "qualified majority"]
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Date text by table lookup: `_YM[y * 13 + m] + _DD[d]` is ten times cheaper than formatting.
_Y = [f"{y:04d}" for y in range(2100)]
_YM = [f"{y:04d}-{m:02d}" for y in range(2100) for m in range(13)]
_DD = [f"-{d:02d}" for d in range(32)]

# Event types each kind of stream produces after its opening event, with weights.
_TYPES_BY_KIND: dict[str, list[tuple[str, int]]] = {
    "person": [("StatementMade", 90), ("VisitMade", 6), ("FactCorrected", 3), ("FactRetracted", 1)],
    "organization": [("StatementMade", 55), ("VisitMade", 24), ("StatusChanged", 12), ("FactCorrected", 7), ("FactRetracted", 2)],
    "agreement": [
        ("StatementMade", 30), ("AgreementRenewed", 11), ("AgreementAmended", 14), ("AgreementSuspended", 6),
        ("AgreementTerminated", 3), ("AgreementExpired", 4), ("AgreementSuperseded", 1), ("DecisionTaken", 3),
        ("VoteScheduled", 12), ("VoteHeld", 12), ("FactCorrected", 6), ("FactRetracted", 2),
    ],
    "body": [("StatementMade", 58), ("VoteScheduled", 15), ("VoteHeld", 17), ("FactCorrected", 7), ("FactRetracted", 3)],
    "country": [("StatementMade", 55), ("StatusChanged", 30), ("VisitMade", 10), ("FactCorrected", 4), ("FactRetracted", 1)],
    "facility": [("StatementMade", 45), ("VisitMade", 45), ("FactCorrected", 8), ("FactRetracted", 2)],
}
# Share of events (after openings) going to each kind of stream.
_EVENT_SHARE = [("person", 35), ("organization", 20), ("agreement", 25), ("body", 6), ("country", 6), ("facility", 8)]
# Kinds of the streams opened after the first 40.
_NEW_STREAM_SHARE = [("person", 42), ("organization", 22), ("agreement", 18), ("facility", 8), ("body", 5), ("country", 5)]
# The first 40 streams, in order: everything an agreement or a statement refers to comes first.
_FIRST_STREAMS = ["organization"] * 8 + ["country"] * 5 + ["body"] * 4 + ["facility"] * 4 + ["person"] * 11 + ["agreement"] * 8
_STREAM_PREFIX = {"person": "person", "organization": "org", "agreement": "agreement", "body": "body", "country": "country", "facility": "facility"}
_OPENING_TYPES = frozenset({"EntityRegistered", "AgreementSigned"})


def _cumulative(weights: Sequence[tuple[str, int]]) -> tuple[list[str], list[float], float]:
    names = [name for name, _ in weights]
    cum = list(accumulate(float(w) for _, w in weights))
    return names, cum, cum[-1]


def _slug(text: str) -> str:
    out = []
    for ch in text.lower():
        out.append(ch if ("a" <= ch <= "z" or "0" <= ch <= "9") else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


def _abbreviation(name: str) -> str:
    return "".join(word[0] for word in name.replace("-", " ").split() if word[0].isupper())


# --------------------------------------------------------------------------- streams


class _Stream:
    """A stream's memory: its next version, recent ids to correct, and what payloads need to name it."""

    __slots__ = ("name", "kind", "version", "recent", "since", "label", "state", "parties")

    def __init__(self, name: str, kind: str, since: int, label: str) -> None:
        self.name = name
        self.kind = kind
        self.version = 0
        self.recent: list[tuple[str, str]] = []
        self.since = since
        self.label = label
        self.state = 0  # agreements: 0 in force, 1 suspended, 2 ended
        self.parties: tuple[str, ...] = ()


class _Generator:
    """Holds the seeded rng, the opened streams and the per-kind pick lists; `events()` drives it."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.random = rng.random
        self.getrandbits = rng.getrandbits
        corpus = _corpus()
        self.en = corpus.en
        self.ru = corpus.ru
        self.ja = corpus.ja
        self.source_pools = corpus.sources
        self.mixed_pools = {"en": corpus.sources["en"] + corpus.sources["ru"], "ru": corpus.sources["ru"], "ja": corpus.sources["ja"]}
        self.streams: dict[str, list[_Stream]] = {kind: [] for kind in _STREAM_PREFIX}
        self.taken: set[str] = set()
        countries = list(_COUNTRIES)
        rng.shuffle(countries)
        self.countries = countries
        self.type_tables = {kind: _cumulative(weights) for kind, weights in _TYPES_BY_KIND.items()}
        self.event_share = _cumulative(_EVENT_SHARE)
        self.new_share = _cumulative(_NEW_STREAM_SHARE)
        self.builders = {
            "StatementMade": self._statement,
            "VisitMade": self._visit,
            "StatusChanged": self._status,
            "AgreementRenewed": self._renewed,
            "AgreementAmended": self._amended,
            "AgreementSuspended": self._suspended,
            "AgreementTerminated": self._terminated,
            "AgreementExpired": self._expired,
            "AgreementSuperseded": self._superseded,
            "DecisionTaken": self._decision,
            "VoteScheduled": self._vote_scheduled,
            "VoteHeld": self._vote_held,
            "FactCorrected": self._corrected,
            "FactRetracted": self._retracted,
        }
        self.opened = 0
        self.correlation = ""

    # ---- small random helpers

    def _pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.random() * len(items))]

    def _popular(self, items: Sequence[Any]) -> Any:
        """Pick with a skew towards the earliest items, the archive's frequent names."""
        return items[int(len(items) * self.random() ** 1.6)]

    def _weighted(self, table: tuple[list[str], list[float], float]) -> str:
        names, cum, total = table
        return names[bisect(cum, self.random() * total)]

    def _uuid(self) -> str:
        # The text of uuid.UUID(int=getrandbits(128), version=4), built without the class.
        h = ((self.getrandbits(128) & 0xFFFFFFFFFFFF0FFF3FFFFFFFFFFFFFFF) | 0x00000000000040008000000000000000).to_bytes(16).hex()
        return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]

    def _unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.taken:
            candidate = f"{name}-{n}"
            n += 1
        self.taken.add(candidate)
        return candidate

    def _words(self, pool: list[str], low: int, high: int) -> list[str]:
        k = low + int(self.random() * (high - low + 1))
        start = int(self.random() * (len(pool) - k))
        return pool[start : start + k]

    def _sentence(self, low: int, high: int) -> str:
        words = self._words(self.en, low, high)
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def _ymd(self, since: int) -> tuple[int, int, int]:
        # Recent years are written about most.
        year = LAST_YEAR - int((LAST_YEAR + 1 - since) * self.random() ** 1.8)
        month = 1 + int(self.random() * 12)
        return year, month, 1 + int(self.random() * _MONTH_DAYS[month])

    def _edtf(self, y: int, m: int, d: int) -> str:
        """Mostly a day; sometimes a month or a year, a qualifier, or an interval of months."""
        r = self.random()
        if r < 0.80:
            text = _YM[y * 13 + m] + _DD[d]
        elif r < 0.90:
            text = _YM[y * 13 + m]
        elif r < 0.95:
            text = _Y[y]
        else:
            m2 = m + 1 + int(self.random() * 4)
            return _YM[y * 13 + m] + "/" + _YM[(y + (m2 - 1) // 12) * 13 + (m2 - 1) % 12 + 1]
        r = self.random()
        if r < 0.04:
            return text + "~"
        if r < 0.07:
            return text + "?"
        return text

    # ---- sources

    # ---- opening events

    def _open(self, kind: str) -> tuple[_Stream, dict[str, Any]]:
        """Create the next stream of `kind` and return it with its opening event's type and data."""
        random_ = self.random
        streams = self.streams
        if kind == "country" and len(streams["country"]) >= len(self.countries):
            kind = "organization"
        since = FIRST_YEAR + int((LAST_YEAR - 1 - FIRST_YEAR) * random_() ** 0.7)
        if kind == "agreement":
            return self._open_agreement(since)
        aliases: list[str] = []
        description: str | None = None
        n = len(streams[kind])
        if kind == "organization":
            if n < len(_ORGS):
                slug, name, aliases, description = _ORGS[n]
                label = aliases[0] if aliases and aliases[0].isascii() else name
            else:
                name = self._pick(_ORG_FORMS).format(city=self._pick(_CITIES), field=self._pick(_FIELDS))
                slug = _slug(name)
                label = _abbreviation(name)
                aliases = [label]
                description = f"Research institute founded in {since}."
        elif kind == "country":
            slug, russian = self.countries[n]
            name = label = slug.replace("-", " ").title()
            aliases = [russian]
        elif kind == "body":
            if n < len(_BODIES):
                slug, name, aliases, description = _BODIES[n]
            else:
                org = self._popular(streams["organization"])
                name = f"{org.label} {self._pick(_BODY_KINDS)}"
                slug = _slug(name)
            label = name
        elif kind == "facility":
            if n < len(_FACILITIES):
                slug, name, aliases, description = _FACILITIES[n]
            else:
                name = f"{self._pick(_CITIES)} {self._pick(_FACILITY_KINDS)}"
                slug = _slug(name)
                description = f"Research facility in operation since {since}."
            label = aliases[0] if aliases else name
        else:
            name, aliases = self._person_name()
            slug = _slug(name)
            org = self._popular(streams["organization"])
            description = f"{self._pick(_ROLES)} {org.label}."
            label = name
        stream = _Stream(self._unique(f"{_STREAM_PREFIX[kind]}-{slug}"), kind, since, label)
        streams[kind].append(stream)
        data: dict[str, Any] = {"kind": kind, "name": name}
        if aliases:
            data["aliases"] = list(aliases)
        if description:
            data["description"] = description
        y, m, d = self._ymd(since)
        return stream, self._event(stream, "EntityRegistered", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _person_name(self) -> tuple[str, list[str]]:
        r = self.random()
        if r < 0.4:
            last, last_ru = self._pick(_RU_LAST)
            if self.random() < 0.3:
                (first, first_ru), last, last_ru = self._pick(_RU_FIRST_F), last + "a", last_ru + "а"
            else:
                first, first_ru = self._pick(_RU_FIRST)
            return f"{first} {last}", [f"{first_ru} {last_ru}"]
        if r < 0.5:
            first, first_ja = self._pick(_JA_FIRST)
            last, last_ja = self._pick(_JA_LAST)
            return f"{first} {last}", [last_ja + first_ja]
        return f"{self._pick(_WEST_FIRST)} {self._pick(_WEST_LAST)}", []

    def _open_agreement(self, since: int) -> tuple[_Stream, dict[str, Any]]:
        streams = self.streams
        orgs = streams["organization"]
        done = len(streams["agreement"])
        if done < 2 and len(orgs) >= 3:
            # The two agreements the seed documents are about.
            parties = [orgs[0], orgs[1]] if done == 0 else [orgs[1], orgs[2]]
        else:
            candidates = orgs if self.random() < 0.8 or not streams["country"] else orgs + streams["country"]
            first = self._popular(candidates)
            second = self._pick(candidates)
            while second is first:
                second = self._pick(candidates)
            parties = [first, second]
            if self.random() < 0.1:
                third = self._pick(orgs)
                if third is not first and third is not second:
                    parties.append(third)
        tails = "-".join(p.name.split("-", 1)[1][:40].rstrip("-") for p in parties[:2])
        label = f"{parties[0].label}–{parties[1].label} agreement"
        stream = _Stream(self._unique(f"agreement-{tails}"), "agreement", since, label)
        stream.parties = tuple(p.name for p in parties)
        streams["agreement"].append(stream)
        y, m, d = self._ymd(since)
        signed = _YM[y * 13 + m] + _DD[d]
        term = 3 + int(self.random() * 8)
        kind = self._pick(["Cooperation Agreement", "Memorandum of Understanding", "Framework Agreement", "Protocol on Cooperation"])
        data: dict[str, Any] = {
            "title": f"{kind} between {parties[0].label} and {parties[1].label}",
            "parties": list(stream.parties),
            "signed": signed,
            "effective": _YM[y * 13 + m] if self.random() < 0.5 else signed,
            "expires": f"{y + term:04d}-{m:02d}-{d:02d}" if self.random() < 0.8 else f"{y + term:04d}",
            "summary": f"Covers {self._pick(_TOPICS)}, {self._pick(_TOPICS)} and {self._pick(_TOPICS)}.",
        }
        return stream, self._event(stream, "AgreementSigned", signed, data, "en", y, m, d, None)

    # ---- the event envelope

    def _event(
        self, stream: _Stream, type_: str, occurred: str, data: dict[str, Any], lang: str, y: int, m: int, d: int, excerpt: str | None
    ) -> dict[str, Any]:
        """Wrap a payload into an event with its id, metadata and one to three sources, and count it in its stream."""
        random_ = self.random
        event_id = self._uuid()
        if not self.correlation:
            self.correlation = event_id  # a request's events share the id of its first event
        metadata: dict[str, Any] = {"correlation_id": self.correlation}
        if type_ == "FactCorrected" or type_ == "FactRetracted":
            metadata["causation_id"] = data["target"]
        else:
            recent = stream.recent
            recent.append((event_id, type_))
            if len(recent) > RECENT_IDS:
                del recent[0]
        stream.version += 1
        # Prepared sources, published on the day of the fact or the day after. The first
        # source of a statement prints its excerpt; other sources of an English fact are
        # sometimes Russian outlets.
        published = _YM[y * 13 + m] + _DD[d + 1 if d < 28 else d]
        pool = self.source_pools[lang] if excerpt is not None else self.mixed_pools[lang]
        source = pool[int(random_() * len(pool))].copy()
        source["published"] = published
        if excerpt is not None:
            source["quote"] = excerpt
        sources = [source]
        r = random_()
        if r >= 0.45:
            pool = self.mixed_pools[lang]
            source = pool[int(random_() * len(pool))].copy()
            source["published"] = published
            sources.append(source)
            if r >= 0.83:
                source = pool[int(random_() * len(pool))].copy()
                source["published"] = published
                sources.append(source)
        return {"id": event_id, "type": type_, "occurred": occurred, "data": data, "sources": sources, "metadata": metadata}

    def _next(self, stream: _Stream) -> dict[str, Any]:
        """Build the next event of an open stream, of a type its kind produces."""
        names, cum, weight = self.type_tables[stream.kind]
        random_ = self.random
        type_ = names[bisect(cum, random_() * weight)]
        if stream.kind == "agreement" and type_.startswith("Agreement"):
            # Keep the life cycle plausible: an ended agreement can only be renewed.
            if stream.state == 2:
                type_ = "AgreementRenewed"
            elif stream.state == 1 and type_ == "AgreementSuspended":
                type_ = "AgreementAmended"
        if type_ == "FactRetracted" and not any(t not in _OPENING_TYPES for _, t in stream.recent):
            type_ = "FactCorrected"
        # Recent years are written about most.
        y = LAST_YEAR - int((LAST_YEAR + 1 - stream.since) * random_() ** 1.8)
        m = 1 + int(random_() * 12)
        return self.builders[type_](stream, y, m, 1 + int(random_() * _MONTH_DAYS[m]))

    # ---- payloads

    def _speaker(self, stream: _Stream) -> tuple[str, str | None]:
        if stream.kind == "person":
            return stream.name, None
        people = self.streams["person"]
        if not people or (stream.kind in ("organization", "facility", "body") and self.random() < 0.15):
            return "anonymous", self._pick(_ANONYMOUS).format(label=stream.label)
        return self._popular(people).name, None

    def _statement(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        random_ = self.random
        if stream.kind == "person":
            data: dict[str, Any] = {"speaker": stream.name}
        else:
            speaker, description = self._speaker(stream)
            data = {"speaker": speaker}
            if description:
                data["speaker_description"] = description
        r = random_()
        if r < 0.05:
            lang, pool, sep, comma, stop = "ru", self.ru, " ", ", ", "."
        elif r < 0.065:
            lang, pool, sep, comma, stop = "ja", self.ja, "", "、", "。"
        else:
            lang, pool, sep, comma, stop = "en", self.en, " ", ", ", "."
        # 20 to 60 words in two clauses; the first is the excerpt the first source prints.
        start = int(random_() * (len(pool) - 64))
        cut = start + 8 + int(random_() * 18)
        excerpt = sep.join(pool[start:cut])
        excerpt = excerpt[0].upper() + excerpt[1:]
        data["quote"] = excerpt + comma + sep.join(pool[cut : cut + 12 + int(random_() * 24)]) + stop
        data["language"] = lang
        if lang == "en" and r > 0.96:
            original = " ".join(self._words(self.ru, 20, 50))
            data["original_text"] = original[0].upper() + original[1:] + "."
            data["original_language"] = "ru"
        if random_() < 0.7:
            data["context"] = _CONTEXTS[int(random_() * len(_CONTEXTS))]
        if random_() < 0.8:
            data["medium"] = _MEDIA[int(random_() * len(_MEDIA))]
        occurred = _YM[y * 13 + m] + _DD[d] if random_() < 0.85 else self._edtf(y, m, d)
        return self._event(stream, "StatementMade", occurred, data, lang, y, m, d, excerpt)

    def _visit(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        random_ = self.random
        people = self.streams["person"]
        visitors = [stream.name] if stream.kind == "person" else []
        for _ in range(1 + int(random_() * 3) if people else 0):
            visitor = self._popular(people).name
            if visitor not in visitors:
                visitors.append(visitor)
        if not visitors or random_() < 0.3:
            delegation = self._popular(self.streams["organization"])
            if delegation is not stream or not visitors:
                visitors.append(f"a delegation of {delegation.label}")
        if stream.kind in ("organization", "facility", "country"):
            host = stream.name
        else:
            host = self._popular(self.streams["organization"]).name
        data = {"visitors": visitors, "host": host, "place": self._pick(_CITIES), "purpose": self._pick(_PURPOSES)}
        r = random_()
        if r < 0.25 and d < 26:
            occurred = f"{y:04d}-{m:02d}-{d:02d}/{y:04d}-{m:02d}-{d + 1 + int(random_() * 3):02d}"
        elif r < 0.85:
            occurred = _YM[y * 13 + m] + _DD[d]
        else:
            occurred = self._edtf(y, m, d)
        return self._event(stream, "VisitMade", occurred, data, "en", y, m, d, None)

    def _status(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        random_ = self.random
        orgs = self.streams["organization"]
        if len(orgs) < 2 and stream.kind == "organization":
            return self._statement(stream, y, m, d)  # the first organization has nobody to join yet
        organization = self._popular(orgs)
        while organization is stream:
            organization = self._pick(orgs)
        r = random_()
        status = "member" if r < 0.3 else "observer" if r < 0.6 else "associate member" if r < 0.85 else "none"
        r = random_()
        change = "granted" if r < 0.7 else "applied" if r < 0.92 else "application withdrawn"
        data: dict[str, Any] = {"party": stream.name, "organization": organization.name, "status": status, "change": change}
        if random_() < 0.4:
            data["note"] = f"Decided at the session of {organization.label} in {y}."
        return self._event(stream, "StatusChanged", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _renewed(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        stream.state = 0
        data: dict[str, Any] = {"effective": _YM[y * 13 + m] + _DD[d], "expires": f"{y + 3 + int(self.random() * 8):04d}-{m:02d}-{d:02d}"}
        if self.random() < 0.7:
            data["summary"] = f"Renewed with an added chapter on {self._pick(_TOPICS)}."
        return self._event(stream, "AgreementRenewed", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _amended(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        verb = self._pick(["Adds provisions on", "Extends the scope to", "Removes the clause on", "Revises the rules for"])
        data: dict[str, Any] = {"summary": f"{verb} {self._pick(_TOPICS)}."}
        if self.random() < 0.6:
            data["effective"] = _YM[y * 13 + m] + _DD[d]
        return self._event(stream, "AgreementAmended", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _suspended(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        stream.state = 1
        data: dict[str, Any] = {"effective": _YM[y * 13 + m] + _DD[d]}
        if self.random() < 0.8:
            data["reason"] = self._sentence(8, 20)
        return self._event(stream, "AgreementSuspended", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _terminated(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        stream.state = 2
        data: dict[str, Any] = {"effective": _YM[y * 13 + m] + _DD[d]}
        if self.random() < 0.8:
            data["reason"] = self._sentence(8, 20)
        return self._event(stream, "AgreementTerminated", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _expired(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        stream.state = 2
        refused = self.random() < 0.5
        data: dict[str, Any] = {"renewal_refused": refused}
        if self.random() < 0.6:
            data["note"] = "The council decided not to renew it." if refused else "No renewal was proposed before the end date."
        return self._event(stream, "AgreementExpired", _YM[y * 13 + m] + _DD[d], data, "en", y, m, d, None)

    def _superseded(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        others = [s for s in self.streams["agreement"] if s is not stream] or [stream]
        stream.state = 2
        data: dict[str, Any] = {"by": self._pick(others).name}
        if self.random() < 0.5:
            data["effective"] = _YM[y * 13 + m] + _DD[d]
        return self._event(stream, "AgreementSuperseded", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _decision(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        deciders = self.streams["organization"] or self.streams["body"]
        data: dict[str, Any] = {"by": self._popular(deciders).name, "decision": f"To review the cooperation on {self._pick(_TOPICS)}.",
                                "agreement": stream.name}
        if self.random() < 0.5:
            data["effect"] = self._pick(["not_renew", "other", "renew"])
        return self._event(stream, "DecisionTaken", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _motion(self, stream: _Stream) -> tuple[str, str, dict[str, Any]]:
        """Return the voting body's stream, the motion and the agreement fields of a vote."""
        random_ = self.random
        if stream.kind == "body":
            body = stream.name
            if random_() < 0.5 and self.streams["agreement"]:
                agreement = self._popular(self.streams["agreement"])
            else:
                return body, f"To approve the {self._pick(['budget', 'medium-term plan', 'membership application', 'new statutes'])} for {LAST_YEAR}", {"effect": "other"}
        else:
            body = self._popular(self.streams["body"]).name
            agreement = stream
        effect = self._pick(["renew", "not_renew", "not_renew", "suspend", "terminate", "amend", "other"])
        motion = {
            "renew": "To renew the {}", "not_renew": "Not to renew the {}", "suspend": "To suspend the {}",
            "terminate": "To terminate the {}", "amend": "To amend the {}", "other": "To review the implementation of the {}",
        }[effect].format(agreement.label)
        return body, motion, {"agreement": agreement.name, "effect": effect}

    def _vote_scheduled(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        body, motion, extra = self._motion(stream)
        m2 = m + 1 + int(self.random() * 3)
        data: dict[str, Any] = {"body": body, "motion": motion, "scheduled": f"{y + (m2 - 1) // 12:04d}-{(m2 - 1) % 12 + 1:02d}"}
        data.update(extra)
        return self._event(stream, "VoteScheduled", self._edtf(y, m, d), data, "en", y, m, d, None)

    def _vote_held(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        random_ = self.random
        body, motion, extra = self._motion(stream)
        data: dict[str, Any] = {"body": body, "motion": motion}
        r = random_()
        if r < 0.12:
            data["outcome"] = "postponed"
        else:
            total = 10 + int(random_() * 30)
            yes = int(total * (0.3 + 0.7 * random_()))
            abstain = int((total - yes) * random_() * 0.6)
            no = total - yes - abstain
            threshold = self._pick(_THRESHOLDS)
            need = total * 2 / 3 if threshold.startswith("two-thirds") else total / 2
            data["outcome"] = "no decision" if r < 0.25 else ("passed" if yes >= need else "failed")
            data["tally"] = {"yes": yes, "no": no, "abstain": abstain} if random_() < 0.8 else {"yes": yes}
            data["threshold"] = threshold
            if abstain and random_() < 0.6 and self.streams["country"]:
                data["notes"] = f"{self._pick(self.streams['country']).label} abstained."
        data.update(extra)
        return self._event(stream, "VoteHeld", _YM[y * 13 + m] + _DD[d], data, "en", y, m, d, None)

    def _corrected(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        target, target_type = self._pick(stream.recent)
        r = self.random()
        fields: dict[str, Any]
        if r < 0.35:
            fields = {"occurred": _YM[y * 13 + m] + _DD[d]}
        elif target_type == "StatementMade":
            fields = {"quote": self._sentence(20, 60)} if r < 0.8 else {"context": self._pick(_CONTEXTS)}
        elif target_type == "EntityRegistered":
            fields = {"description": self._sentence(8, 16)}
        elif target_type == "AgreementSigned":
            fields = {"expires": f"{y + 5:04d}-{m:02d}-{d:02d}"}
        elif target_type == "VisitMade":
            fields = {"place": self._pick(_CITIES)}
        elif target_type == "VoteHeld":
            fields = {"tally": {"yes": int(self.random() * 20), "no": int(self.random() * 10)}}
        else:
            fields = {"sources": [{"publisher": self._pick(_OUTLETS_EN)[0], "published": _YM[y * 13 + m]}]}
        data = {"target": target, "fields": fields, "reason": self._pick(_CORRECTION_REASONS)}
        return self._event(stream, "FactCorrected", _YM[y * 13 + m] + _DD[d], data, "en", y, m, d, None)

    def _retracted(self, stream: _Stream, y: int, m: int, d: int) -> dict[str, Any]:
        candidates = [i for i, (_, t) in enumerate(stream.recent) if t not in _OPENING_TYPES]
        target, _ = stream.recent.pop(self._pick(candidates))  # a retracted fact is not corrected or retracted again
        data = {"target": target, "reason": self._pick(_RETRACTION_REASONS)}
        return self._event(stream, "FactRetracted", _YM[y * 13 + m] + _DD[d], data, "en", y, m, d, None)

    # ---- the driver

    def requests(self, n_events: int, per_request: int) -> Iterator[dict[str, Any]]:
        """Yield the append requests; a stream is opened whenever the schedule says one is due."""
        total_streams = max(MIN_STREAMS, n_events // EVENTS_PER_STREAM)
        later_streams = total_streams - MIN_STREAMS
        streams = self.streams
        random_ = self.random
        kinds, cum, weight = self.event_share
        next_ = self._next
        emitted = 0
        while emitted < n_events:
            size = min(per_request, n_events - emitted)
            self.correlation = ""
            opened = self.opened
            if opened < total_streams and (opened < MIN_STREAMS or opened < MIN_STREAMS + later_streams * emitted // n_events):
                kind = _FIRST_STREAMS[opened] if opened < len(_FIRST_STREAMS) else self._weighted(self.new_share)
                self.opened += 1
                stream, first = self._open(kind)
                expected: int | str = "no_stream"
                batch = [first]
            else:
                candidates = streams[kinds[bisect(cum, random_() * weight)]]
                while not candidates:
                    candidates = streams[kinds[bisect(cum, random_() * weight)]]
                # Early streams are the archive's frequent names: pick with a skew towards them.
                stream = candidates[int(len(candidates) * random_() ** 1.6)]
                expected = stream.version - 1
                batch = [next_(stream)]
            while len(batch) < size:
                batch.append(next_(stream))
            emitted += size
            yield {"stream": stream.name, "expected_version": expected, "events": batch}


def generate(n_events: int, seed: int = 0, *, events_per_request: int = 1) -> Iterator[dict[str, Any]]:
    """Yield append requests holding `n_events` events in all, the same ones for the same seed.

    Each request carries up to `events_per_request` events of one stream and
    the exact `expected_version` of that stream (`"no_stream"` for its first).
    """
    if events_per_request < 1:
        raise ValueError("events_per_request must be at least 1")
    return _Generator(seed).requests(n_events, events_per_request)


def write_ndjson(path_or_file: str | os.PathLike[str] | IO[bytes], n_events: int, seed: int = 0, events_per_request: int = 1) -> int:
    """Write the requests of `generate` as NDJSON to a path or a binary file; return the events written."""
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "wb") as out:
            return write_ndjson(out, n_events, seed, events_per_request)
    dumps = orjson.dumps
    written = 0
    chunk: list[bytes] = []
    for request in generate(n_events, seed, events_per_request=events_per_request):
        chunk.append(dumps(request))
        written += len(request["events"])
        if len(chunk) >= 2048:
            chunk.append(b"")
            path_or_file.write(b"\n".join(chunk))
            chunk.clear()
    if chunk:
        chunk.append(b"")
        path_or_file.write(b"\n".join(chunk))
    path_or_file.flush()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description="Write synthetic accord append requests as NDJSON.")
    parser.add_argument("--events", type=int, default=100_000, help="number of events (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--per-request", type=int, default=1, help="events per append request (default 1)")
    parser.add_argument("--out", default="-", help="output file, or - for standard output (default)")
    args = parser.parse_args(argv)
    if args.events < 0 or args.per_request < 1:
        parser.error("--events must be >= 0 and --per-request >= 1")
    started = time.perf_counter()
    if args.out == "-":
        written = write_ndjson(sys.stdout.buffer, args.events, args.seed, args.per_request)
    else:
        written = write_ndjson(args.out, args.events, args.seed, args.per_request)
    elapsed = time.perf_counter() - started
    rate = written / elapsed if elapsed > 0 else float("inf")
    print(f"wrote {written} events in {elapsed:.2f} s ({rate:,.0f} events/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
