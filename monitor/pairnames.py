"""Who is who across languages: the outlets and spokespeople of the foreign ministry's
transcripts, each with the labels it goes by in Chinese and English. `[pair_names]` in the
config adds to them (see pairs.Names)."""

from __future__ import annotations

# (the name shown in alerts, the labels it is written as). A Chinese label is looked up
# without its title marks and its trailing 记者 ("《环球时报》记者" is "环球时报"), an English one
# case-folded and without a leading "The".
SPOKESPEOPLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Zhao Lijian", ("赵立坚",)),
    ("Wang Wenbin", ("汪文斌",)),
    ("Hua Chunying", ("华春莹",)),
    ("Geng Shuang", ("耿爽",)),
    ("Lu Kang", ("陆慷",)),
    ("Mao Ning", ("毛宁",)),
    ("Lin Jian", ("林剑",)),
    ("Guo Jiakun", ("郭嘉昆",)),
)
OUTLETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # gathered from the 2019-2020 pages where both languages list the same askers
    ("CCTV", ("总台央视", "中央广播电视总台央视", "中央电视台", "央视")),
    ("CCTV4", ("总台央视中文国际频道",)),
    ("CNR", ("总台央广", "中央广播电视总台央广", "中央人民广播电台", "China National Radio")),
    ("CRI", ("总台国广", "中央广播电视总台国广", "中国国际广播电台", "China Radio International")),
    ("Reuters", ("路透社", "路透社记者提问")),
    ("AFP", ("法新社", "Agence France-Presse")),
    ("Bloomberg", ("彭博社", "Bloomberg News")),
    ("AP", ("美联社", "Associated Press")),
    ("Xinhua News Agency", ("新华社", "Xinhua")),
    ("China News Service", ("中新社", "中国新闻社", "CNS")),
    ("China Daily", ("中国日报",)),
    ("Global Times", ("环球时报",)),
    ("Beijing Daily", ("北京日报",)),
    ("Beijing Youth Daily", ("北京青年报",)),
    ("Beijing Media Network", ("北京广播电视台",)),
    ("The Paper", ("澎湃新闻",)),
    ("Shenzhen TV", ("深圳卫视",)),
    ("Phoenix TV", ("凤凰卫视",)),
    ("PTI", ("印度报业托拉斯", "Press Trust of India")),
    ("BBC", ("英国广播公司",)),
    ("ITN&BBC", ("英国独立电视台和英国广播公司",)),
    ("South China Morning Post", ("南华早报", "SCMP")),
    ("RIA Novosti", ("俄新社", "今日俄罗斯")),
    ("TASS", ("塔斯社",)),
    ("Sputnik", ("卫星通讯社",)),
    ("The Australian", ("澳大利亚人报",)),
    ("ABC", ("澳大利亚广播公司", "Australian Broadcasting Corporation", "ABC Australia")),
    ("China Review News", ("香港中评社", "China Review News Agency")),
    ("Macau Monthly", ("澳门月刊",)),
    ("Associated Press of Pakistan", ("巴通社", "APP")),
    ("The Globe and Mail", ("环球邮报",)),
    ("NHK", ("日本广播协会", "日本NHK电视台")),
    ("CNN", ("美国有线电视新闻网",)),
    ("NBC News", ("美国全国广播公司",)),
    ("Kyodo News", ("共同社", "日本共同社", "Kyodo")),
    ("Prensa Latina", ("拉通社",)),
    ("Yonhap News", ("韩联社", "Yonhap")),
    ("Feature Story News", ("美国专题新闻社",)),
    ("The Financial Times", ("英国金融时报", "Financial Times")),
    ("Nikkei", ("日本经济新闻", "Nihon Keizai Shimbun")),
    ("Bloomberg Businessweek", ("彭博商业周刊",)),
    ("Wall Street Journal", ("华尔街日报", "The Wall Street Journal")),
    ("New York Times", ("纽约时报", "The New York Times")),
    ("DPA", ("德新社",)),
    ("EFE", ("埃菲社",)),
    ("Asahi Shimbun", ("朝日新闻",)),
    ("Hubei Media Group", ("湖北广播电视台",)),
)

# Labels that name no one in particular: "Q:", "问：", a follow-up, an unnamed journalist.
ANONYMOUS = frozenset(
    {"q", "问", "follow-up", "追问", "journalist", "记者", "question", "会后有记者问及"}
)
# ... of which these continue the exchange before them rather than open one: "Journalist: It
# was leaked to reporters." after an answer; one language may run them into one paragraph.
FOLLOW_UP = frozenset({"follow-up", "追问", "journalist", "记者"})
# Labels of whoever answers when the transcript does not name the spokesperson.
ANSWER = frozenset({"a", "答", "answer"})
