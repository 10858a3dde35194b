"""The labelled search set: posts in Korean and English, generated deterministically, and queries
with the posts each must find (used by tests/search/test_quality.py and bench/search.py).

Every post is filler text from small word pools (checked to contain no query's words) with
*concepts* planted in it: a concept is a thing a reader looks for, written in several surface
forms (알트만은, 알트만이, 샘알트만 …), planted in the title, subtitle, tags or anywhere in the
body. A query names the concepts it must find: a post must be found when it carries at least
one concept of every group of the query. Distractor concepts (알트코인, 하트만: words sharing
syllables with a query) are planted too, and must not be what comes first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# concept → surface forms (each a phrase a writer would write)
CONCEPTS: dict[str, list[str]] = {
    # Korean names and nouns, with particles and endings
    "altman": ["알트만은", "알트만이", "알트만의", "알트만"],
    "samaltman": ["샘알트만이", "샘 알트만은", "샘알트만", "샘 알트만의"],
    "jensen": ["젠슨 황은", "젠슨황이", "젠슨 황의"],
    "nvidia_ko": ["엔비디아가", "엔비디아의", "엔비디아는"],
    "samsung": ["삼성전자는", "삼성전자가", "삼성 전자의"],
    "kakao": ["카카오가", "카카오의", "카카오는"],
    "naver": ["네이버의", "네이버가"],
    "tesla": ["테슬라는", "테슬라의"],
    "musk": ["머스크가", "일론 머스크는", "머스크의"],
    "chip_ko": ["반도체를", "반도체가", "반도체 산업은"],
    "startup": ["스타트업들이", "스타트업의", "스타트업은"],
    "restructuring": ["구조조정을", "구조조정이"],
    "ai_ko": ["인공지능이", "인공지능의", "인공 지능을"],
    "regulation": ["규제를", "규제가", "규제의"],
    "rate": ["금리가", "금리를", "기준금리는"],
    "realestate": ["부동산은", "부동산 시장이"],
    "union": ["노조", "노조가", "노조의"],
    "merger": ["합병", "인수합병을", "합병이"],
    "patent": ["특허", "특허를"],
    # one- and two-syllable words
    "layoff_ko": ["해고", "해고를", "해고했다", "대량 해고가"],
    "invest": ["투자", "투자를", "투자자들은"],
    "govern": ["지배", "지배구조", "지배력을"],
    "chip1": ["칩", "칩이", "칩을"],
    "debt1": ["빚", "빚이", "빚을"],
    "dream1": ["꿈", "꿈을", "꿈이"],
    "bankrupt": ["파산", "파산했다", "파산을"],
    "ipo": ["상장", "상장을", "기업공개와 상장"],
    "fx": ["환율", "환율이"],
    "nuclear": ["원전", "원전을"],
    "price": ["물가", "물가가"],
    "subscription": ["구독", "구독자가", "구독 경제"],
    "ad": ["광고", "광고가", "광고 시장"],
    "security": ["보안", "보안이", "사이버보안"],
    # compounds written with and without a space
    "quantum": ["양자컴퓨터", "양자 컴퓨터가", "양자컴퓨터의"],
    "ev": ["전기차", "전기 차", "전기차를"],
    "selfdrive": ["자율주행", "자율 주행은", "자율주행차"],
    "battery": ["배터리", "배터리가"],
    "cloud": ["클라우드", "클라우드의"],
    "platform": ["플랫폼", "플랫폼의"],
    # English, inside Korean text and in English posts
    "openai": ["OpenAI", "OpenAI가", "OpenAI의", "openai"],
    "ftx": ["FTX", "FTX의", "FTX가"],
    "genai": ["GenAI", "GenAI는"],
    "tsmc": ["TSMC", "TSMC의", "TSMC가"],
    "chatgpt": ["ChatGPT", "ChatGPT가", "ChatGPT의"],
    "nvidia": ["Nvidia", "NVIDIA", "Nvidia's"],
    "anthropic": ["Anthropic", "Anthropic의"],
    "google": ["Google", "Google의", "Google's"],
    "microsoft": ["Microsoft", "Microsoft의"],
    "amazon": ["Amazon", "Amazon's"],
    "bitcoin": ["Bitcoin", "bitcoin의"],
    "gpu": ["GPU", "GPU를", "GPUs"],
    "hbm": ["HBM", "HBM을"],
    "blockchain": ["blockchain", "Blockchain"],
    "semiconductor": ["semiconductor", "semiconductors"],
    "layoffs": ["layoffs", "layoff"],
    "antitrust": ["antitrust"],
    "venture": ["venture capital", "venture capitalists"],
    "interest": ["interest rates", "interest rate"],
    "inflation": ["inflation"],
    "kubernetes": ["Kubernetes"],
    # distractors: syllables or letters in common with a query
    "altcoin": ["알트코인", "알트코인이"],
    "hartman": ["하트만은", "하트만"],
    "opensource": ["오픈소스", "open source"],
    "dreamer": ["드림팀"],
}

# (query, groups of concepts, kind): a post must be found when it carries one concept of each group
QUERIES: list[tuple[str, list[list[str]], str]] = [
    ("알트만", [["altman", "samaltman"]], "particles"),
    ("알트만은", [["altman", "samaltman"]], "particles"),
    ("알트만이", [["altman", "samaltman"]], "particles"),
    ("젠슨 황", [["jensen"]], "particles"),
    ("젠슨황", [["jensen"]], "compound"),
    ("엔비디아", [["nvidia_ko"]], "particles"),
    ("엔비디아의", [["nvidia_ko"]], "particles"),
    ("삼성전자", [["samsung"]], "particles"),
    ("삼성전자가", [["samsung"]], "particles"),
    ("카카오", [["kakao"]], "particles"),
    ("네이버", [["naver"]], "particles"),
    ("테슬라", [["tesla"]], "particles"),
    ("머스크", [["musk"]], "particles"),
    ("반도체", [["chip_ko"]], "particles"),
    ("반도체를", [["chip_ko"]], "particles"),
    ("스타트업", [["startup"]], "particles"),
    ("구조조정", [["restructuring"]], "particles"),
    ("인공지능", [["ai_ko"]], "particles"),
    ("인공지능이", [["ai_ko"]], "particles"),
    ("규제", [["regulation"]], "short"),
    ("금리", [["rate"]], "short"),
    ("부동산", [["realestate"]], "particles"),
    ("노조", [["union"]], "short"),
    ("합병", [["merger"]], "short"),
    ("특허", [["patent"]], "short"),
    ("해고", [["layoff_ko"]], "short"),
    ("투자", [["invest"]], "short"),
    ("지배", [["govern"]], "short"),
    ("칩", [["chip1"]], "short"),
    ("빚", [["debt1"]], "short"),
    ("꿈", [["dream1"]], "short"),
    ("파산", [["bankrupt"]], "short"),
    ("상장", [["ipo"]], "short"),
    ("환율", [["fx"]], "short"),
    ("원전", [["nuclear"]], "short"),
    ("물가", [["price"]], "short"),
    ("구독", [["subscription"]], "short"),
    ("광고", [["ad"]], "short"),
    ("보안", [["security"]], "short"),
    ("샘알트만", [["samaltman"]], "compound"),
    ("샘 알트만", [["samaltman"]], "compound"),
    ("양자컴퓨터", [["quantum"]], "compound"),
    ("양자 컴퓨터", [["quantum"]], "compound"),
    ("전기차", [["ev"]], "compound"),
    ("전기 차", [["ev"]], "compound"),
    ("자율주행", [["selfdrive"]], "compound"),
    ("자율 주행", [["selfdrive"]], "compound"),
    ("삼성 전자", [["samsung"]], "compound"),
    ("인공 지능", [["ai_ko"]], "compound"),
    ("배터리", [["battery"]], "particles"),
    ("클라우드", [["cloud"]], "particles"),
    ("플랫폼", [["platform"]], "particles"),
    ("알트코인", [["altcoin"]], "particles"),
    ("OpenAI", [["openai"]], "english-in-korean"),
    ("openai", [["openai"]], "english-in-korean"),
    ("FTX", [["ftx"]], "english-in-korean"),
    ("GenAI", [["genai"]], "english-in-korean"),
    ("TSMC", [["tsmc"]], "english-in-korean"),
    ("ChatGPT", [["chatgpt"]], "english-in-korean"),
    ("Nvidia", [["nvidia"]], "english-in-korean"),
    ("Anthropic", [["anthropic"]], "english-in-korean"),
    ("Google", [["google"]], "english-in-korean"),
    ("Microsoft", [["microsoft"]], "english-in-korean"),
    ("Bitcoin", [["bitcoin"]], "english-in-korean"),
    ("HBM", [["hbm"]], "english-in-korean"),
    ("opneai", [["openai"]], "typo"),
    ("chatgtp", [["chatgpt"]], "typo"),
    ("antropic", [["anthropic"]], "typo"),
    ("nvidai", [["nvidia"]], "typo"),
    ("goolge", [["google"]], "typo"),
    ("microsfot", [["microsoft"]], "typo"),
    ("amazn", [["amazon"]], "typo"),
    ("blockchian", [["blockchain"]], "typo"),
    ("semicondutor", [["semiconductor"]], "typo"),
    ("infaltion", [["inflation"]], "typo"),
    ("kubernets", [["kubernetes"]], "typo"),
    ("bitcion", [["bitcoin"]], "typo"),
    ("layoffs", [["layoffs"]], "english"),
    ("layoff", [["layoffs"]], "english"),
    ("antitrust", [["antitrust"]], "english"),
    ("venture capital", [["venture"]], "english"),
    ("interest rates", [["interest"]], "english"),
    ("inflation", [["inflation"]], "english"),
    ("semiconductors", [["semiconductor"]], "english"),
    ("Amazon", [["amazon"]], "english"),
    ("OpenAI 해고", [["openai"], ["layoff_ko"]], "mixed"),
    ("FTX 파산", [["ftx"], ["bankrupt"]], "mixed"),
    ("TSMC 반도체", [["tsmc"], ["chip_ko"]], "mixed"),
    ("샘알트만 OpenAI", [["samaltman"], ["openai"]], "mixed"),
    ("엔비디아 GPU", [["nvidia_ko"], ["gpu"]], "mixed"),
    ("Google 광고", [["google"], ["ad"]], "mixed"),
    ("테슬라 자율주행", [["tesla"], ["selfdrive"]], "mixed"),
    ("ChatGPT 구독", [["chatgpt"], ["subscription"]], "mixed"),
    ("삼성전자 HBM", [["samsung"], ["hbm"]], "mixed"),
    ("Bitcoin 규제", [["bitcoin"], ["regulation"]], "mixed"),
    ("Nvidia layoffs", [["nvidia"], ["layoffs"]], "mixed"),
]

KO_SUBJECTS = "우리 팀은|이 회사는|많은 사람들이|시장 참여자들은|개발자들은|편집부는|독자 여러분은|한 연구자는|그 도시는|작은 가게들은|동네 도서관은|오래된 친구는".split(
    "|"
)
KO_OBJECTS = "새로운 제품을|오래된 문제를|다음 계획을|지난 기록을|작은 실험을|여러 질문을|긴 문서를|낯선 문화를|좋은 습관을|데이터를|주말 일정을|남은 숙제를".split(
    "|"
)
KO_VERBS = "살펴보았다|정리했다|다시 읽었다|적어 두었다|천천히 바꾸고 있다|고민하고 있다|소개했다|비교해 보았다|발표했다|기다리고 있다|나누었다|돌아보았다".split(
    "|"
)
KO_OPENERS = "오늘은|지난주에는|올해 들어|이번 분기에|아침부터|그럼에도|한편|결국|무엇보다|조금씩|저녁 무렵|어제".split(
    "|"
)
EN_SUBJECTS = "The team|Our editors|Many readers|A small studio|The city council|Two founders|The newsroom|A teacher|Local shops|The designers".split(
    "|"
)
EN_VERBS = (
    "reviewed|shipped|rewrote|measured|discussed|planned|tested|published|explained|compared".split(
        "|"
    )
)
EN_OBJECTS = "the product|the roadmap|a long report|the release|a dataset|the survey|the budget|a new design|the feature|the launch".split(
    "|"
)
EN_TIMES = "this week|last month|on Monday|after lunch|before the holidays|in the spring|at night|over the summer".split(
    "|"
)
KO_TITLES = "이번 주 소식|주간 노트|한 주를 돌아보며|월요일 편지|짧은 생각|긴 이야기|편집자의 메모|독자와의 대화".split(
    "|"
)
EN_TITLES = "Weekly notes|Monday letter|A short thought|The long read|Editor's memo|Letters from readers".split(
    "|"
)
KO_TAGS = "소식|노트|메모|편지|생각".split("|")
EN_TAGS = "notes|letters|memo|weekly".split("|")


@dataclass
class PostSpec:
    key: int
    language: str
    title: str
    subtitle: str
    tags: list[str]
    paragraphs: list[str]
    concepts: set[str] = field(default_factory=set)

    @property
    def body_html(self) -> str:
        return "".join(f"<p>{p}</p>" for p in self.paragraphs)


def _sentence(rng: random.Random, language: str) -> str:
    if language == "ko":
        return (
            f"{rng.choice(KO_OPENERS)} {rng.choice(KO_SUBJECTS)} "
            f"{rng.choice(KO_OBJECTS)} {rng.choice(KO_VERBS)}."
        )
    return (
        f"{rng.choice(EN_SUBJECTS)} {rng.choice(EN_VERBS)} "
        f"{rng.choice(EN_OBJECTS)} {rng.choice(EN_TIMES)}."
    )


def _size(rng: random.Random, key: int) -> int:
    """Bytes of body text: a paragraph to 40 KB (every 40th post close to 40 KB)."""
    if key % 40 == 0:
        return rng.randint(36_000, 40_000)
    roll = rng.random()
    if roll < 0.45:
        return rng.randint(300, 1_500)
    if roll < 0.85:
        return rng.randint(1_500, 8_000)
    return rng.randint(8_000, 30_000)


def _filler(rng: random.Random, language: str, size: int) -> list[str]:
    paragraphs, used = [], 0
    while used < size:
        paragraph = " ".join(_sentence(rng, language) for _ in range(rng.randint(2, 6)))
        paragraphs.append(paragraph)
        used += len(paragraph.encode())
    return paragraphs


def _plant(rng: random.Random, post: PostSpec, concept: str) -> None:
    form = rng.choice(CONCEPTS[concept])
    where = rng.random()
    if where < 0.3:
        post.title = f"{post.title}: {form}"
    elif where < 0.4:
        post.subtitle = f"{post.subtitle} {form}".strip()
    elif where < 0.5 and " " not in form:
        post.tags.append(form)
    else:
        index = rng.randrange(len(post.paragraphs))
        words = post.paragraphs[index].split(" ")
        at = rng.randrange(len(words) + 1)
        post.paragraphs[index] = " ".join(words[:at] + [form] + words[at:])
    post.concepts.add(concept)


def build_corpus(count: int = 320, seed: int = 15) -> list[PostSpec]:
    """`count` posts (about 70% Korean), each concept planted in 3 posts (the same posts at
    any count from 320 up, so the queries keep their answers as the filler grows), and both
    concepts of each mixed query together in 2 more."""
    rng = random.Random(seed)
    posts = []
    for key in range(count):
        language = "ko" if rng.random() < 0.7 else "en"
        titles, tags = (KO_TITLES, KO_TAGS) if language == "ko" else (EN_TITLES, EN_TAGS)
        posts.append(
            PostSpec(
                key,
                language,
                f"{rng.choice(titles)} {key + 1}",
                "",
                [rng.choice(tags)],
                _filler(rng, language, _size(rng, key)),
            )
        )
    planting = random.Random(seed + 1)
    head = min(count, 320)
    for concept in CONCEPTS:
        for key in planting.sample(range(head), 3):
            _plant(planting, posts[key], concept)
    for _query, groups, kind in QUERIES:
        if kind == "mixed":
            for key in planting.sample(range(head), 2):
                for group in groups:
                    _plant(planting, posts[key], group[0])
    return posts


def expected_keys(posts: list[PostSpec], groups: list[list[str]]) -> set[int]:
    return {p.key for p in posts if all(p.concepts & set(group) for group in groups)}


def filler_words() -> set[str]:
    pools = [KO_SUBJECTS, KO_OBJECTS, KO_VERBS, KO_OPENERS, EN_SUBJECTS, EN_VERBS]
    pools += [EN_OBJECTS, EN_TIMES, KO_TITLES, EN_TITLES, KO_TAGS, EN_TAGS]
    return {word for pool in pools for phrase in pool for word in phrase.split()}
