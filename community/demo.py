"""Demo content for `flask --app wsgi community seed-demo`: a bilingual community for "Acme Home".

Acme Home is a fictional consumer-electronics brand (Acme Mesh X6 routers, Acme Cam 2K indoor and
Cam Pro outdoor cameras, the Acme Home phone app). The demo loads eight boards (every kind and every
visibility), fourteen members (every role) and some fifty threads with about two hundred posts in
English, Simplified Chinese and a mix of both, written over the past sixty days.

Accounts, for a local trial only. Every demo account shares one password, ``demo-community-2026``:

    admin        administrator; `admin` is reserved for sign-ups, so the demo creates it directly
    acme_grace   staff (Acme product manager); staff posts are marked official
    acme_chen    staff (Acme support engineer, 陈工)
    samira_k     moderator (a volunteer)
    netnerd42, lin_xiaoyu, wang.lei, maria.g, kenji_t, zhou-jie, oliviap, dad_of_3, xu_ming, priya.s
                 members

Delete these accounts or change their passwords before anyone else can reach the site. Nothing
secret is printed: the command reports counts only.

Running it again without `--if-empty` is safe: members and boards that exist (same username or slug)
are reused, and a thread whose title already exists on its board is skipped, so a second run adds
nothing and reports zeros. A demo e-mail address taken by another username stops the run with a
clear error and nothing saved.

Everything is written through the real services (`register_member`, `update_profile`,
`start_thread`, `reply`), so counters, rendered Markdown, @mentions and signals are all real. Then,
for demo data only, plain ORM assignments move timestamps into the past (thread and board counters are
left alone), mark accepted answers, idea statuses and one pinned welcome thread. The content is fixed
in this module; only "now" varies between runs.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from sqlalchemy import func, select

from .dbtypes import utcnow
from .errors import Conflict, ServiceError, ValidationFailed
from .extensions import db
from .forum import services as forum
from .forum.models import Board, BoardKind, IdeaStatus, Post, Thread, Visibility
from .members import passwords
from .members.models import Member, Role, email_key, username_key
from .members.services import normalise_email, register_member, update_profile
from .signals import member_registered

DEMO_PASSWORD = "demo-community-2026"
EMAIL_DOMAIN = "demo.example.com"
BOARDS_CREATED_DAYS_AGO = 90


def _md(text: str) -> str:
    return textwrap.dedent(text).strip()


# ---- members -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoMember:
    username: str
    role: Role
    display_name: str
    bio: str
    joined_days_ago: float
    locale: str | None = None


MEMBERS = (
    DemoMember("admin", Role.admin, "Acme Community Admin · 社区管理员",
               "I keep the lights on here. Questions about the community itself: ask me. "
               "社区使用问题可以直接找我。", 90),
    DemoMember("acme_grace", Role.staff, "Grace Liu (Acme)",
               "Product manager for Acme Mesh and the Acme Home app. I read every idea on the Ideas board, "
               "even when I can't answer right away.", 88),
    DemoMember("acme_chen", Role.staff, "陈工 · Acme 技术支持",
               "Acme 技术支持工程师，负责路由器与摄像头问题。Support engineer for routers and cameras; "
               "I answer in Chinese and English.", 87, "zh_CN"),
    DemoMember("samira_k", Role.moderator, "Samira K.",
               "Volunteer moderator. Network admin by day, owner of far too many smart plugs by night. "
               "Please search before posting :)", 85),
    DemoMember("netnerd42", Role.member, "Tom Becker",
               "Home-lab tinkerer. Three X6 nodes, a Pi-hole, and opinions about channel widths.", 80),
    DemoMember("lin_xiaoyu", Role.member, "林小雨",
               "杭州，上班族，家里两只猫。用 Cam 2K 看猫主子，偶尔来论坛求助。", 78, "zh_CN"),
    DemoMember("wang.lei", Role.member, "王磊",
               "北京，IT 运维。家里一台 X6 主路由 + 两个节点，三个摄像头。", 75, "zh_CN"),
    DemoMember("maria.g", Role.member, "María González",
               "New parent, first smart-home setup. The Cam 2K is our baby monitor.", 72),
    DemoMember("kenji_t", Role.member, "Kenji Tanaka",
               "Photographer. I judge cameras harshly and routers by how fast my RAW files sync.", 70),
    DemoMember("zhou-jie", Role.member, "周杰 Jay",
               "Shenzhen / Singapore. 中英文都可以，NAS 和智能家居爱好者。", 66, "zh_CN"),
    DemoMember("oliviap", Role.member, "Olivia Park",
               "I say what annoys me and what works. Two cameras, one mesh kit, zero patience for pop-ups.", 63),
    DemoMember("dad_of_3", Role.member, "Mike R.",
               "Three kids, one dog, way too many devices on the Wi-Fi.", 62),
    DemoMember("xu_ming", Role.member, "徐明",
               "深圳，嵌入式开发。Beta 测试志愿者，喜欢折腾 OpenWrt。", 61, "zh_CN"),
    DemoMember("priya.s", Role.member, "Priya Sharma",
               "IT consultant. Self-hosts everything; Home Assistant, Frigate, a NAS in the cupboard.", 60),
)


# ---- boards --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoBoard:
    slug: str
    name: str
    description: str
    kind: BoardKind
    visibility: Visibility


BOARDS = (
    DemoBoard("announcements", "Announcements / 公告",
              "News from the Acme Home team: firmware and app releases, service notices. "
              "Acme 官方发布的固件、App 更新与服务通知。", BoardKind.announcement, Visibility.public),
    DemoBoard("help", "Help & Questions / 使用求助",
              "Stuck with a router, camera or the app? Ask here; mark the answer that solved it. "
              "设备或 App 遇到问题，在这里提问。", BoardKind.question, Visibility.public),
    DemoBoard("ideas", "Ideas / 产品建议",
              "Suggest features and vote on others' ideas; the product team sets a status on each. "
              "提出功能建议，产品团队会标注处理状态。", BoardKind.idea, Visibility.public),
    DemoBoard("general", "General discussion / 综合讨论",
              "Reviews, stories, speed tests and everything else about life with Acme Home. "
              "使用心得、评测与闲聊。", BoardKind.discussion, Visibility.public),
    DemoBoard("setups", "Smart home setups / 智能家居方案",
              "Show your network layout and automations; floor plans and recipes welcome. "
              "分享你的组网方案与自动化玩法。", BoardKind.discussion, Visibility.public),
    DemoBoard("zh", "中文社区",
              "中文用户交流区：使用心得、组网经验、吐槽与建议，欢迎用中文畅聊。", BoardKind.discussion,
              Visibility.public),
    DemoBoard("beta", "Beta testers / 内测专区",
              "For members in the beta programme: pre-release firmware and app builds, known issues, feedback. "
              "公测版本反馈专区，仅登录会员可见。", BoardKind.discussion, Visibility.members),
    DemoBoard("staff", "Staff room / 员工专区",
              "Acme staff only: weekly triage, answer templates, notes for moderators. 仅限 Acme 员工。",
              BoardKind.discussion, Visibility.staff),
)


# ---- threads -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoReply:
    author: str
    after_hours: float  # after the post before it in the thread
    body: str
    to: int | None = None  # the number of the post it answers (1 is the opening post)


@dataclass(frozen=True)
class DemoThread:
    board: str
    author: str
    days_ago: float
    title: str
    body: str
    replies: tuple[DemoReply, ...] = ()
    tags: tuple[str, ...] = ()
    accepted: int | None = None  # the number of the accepted answer, on question boards
    status: IdeaStatus | None = None  # on idea boards
    pinned: bool = False


def _r(author: str, after_hours: float, body: str, to: int | None = None) -> DemoReply:
    return DemoReply(author, after_hours, _md(body), to)


def _t(board: str, author: str, days_ago: float, title: str, body: str, *replies: DemoReply,
       tags: tuple[str, ...] = (), accepted: int | None = None, status: IdeaStatus | None = None,
       pinned: bool = False) -> DemoThread:
    return DemoThread(board, author, days_ago, title, _md(body), tuple(replies), tags, accepted, status, pinned)


THREADS = (
    # ---- announcements ----
    _t("announcements", "admin", 59.5, "Welcome to the Acme Home community! / 欢迎来到 Acme Home 社区", """
        Welcome! This is the place to get help with your **Acme Mesh** routers, **Acme Cam** cameras and the
        **Acme Home** app, to suggest what we should build next, and to meet other owners.

        A few ground rules:

        1. Be kind. Everyone here was new once.
        2. Search before you post; many questions have an accepted answer already.
        3. Never post your Wi-Fi password, serial number or order number in public.
        4. Posts marked **Official** come from Acme employees.

        欢迎来到 Acme Home 社区！在这里可以提问、提建议、分享使用心得。中文用户请看
        [中文社区](/b/zh) 版块；发帖前请先搜索，不要公开发布密码和订单号。

        Have fun, and tell us what we get wrong. — the Acme Home team
        """,
       _r("maria.g", 5, "Thanks! Just unboxed my first Cam 2K, happy to be here."),
       _r("lin_xiaoyu", 9, "大家好～终于有官方中文社区了 🎉"),
       _r("netnerd42", 20, "Good rules. Especially number 3 — I've seen too many screenshots with the admin password in them."),
       _r("samira_k", 3, """
           Welcome all. If a thread ends up in the wrong board, don't worry: moderators move it.
           @netnerd42 we'll enforce #3, promise.
           """, to=4),
       tags=("welcome",), pinned=True),

    _t("announcements", "acme_grace", 45.2, "Firmware 3.2 for Acme Mesh X6 is rolling out / X6 固件 3.2 开始推送", """
        Firmware **3.2.0** for the Acme Mesh X6 starts rolling out today, in waves over the next two weeks.

        What's new:

        - Faster roaming between nodes (802.11k/v enabled by default)
        - WPA3 transition mode for older devices
        - A *Maintenance* page with a scheduled reboot option
        - Fixes for the "orange light at night" disconnects some of you reported

        If you don't want to wait: **App → Devices → X6 → Firmware → Check now**.

        固件 3.2.0 今天开始分批推送，两周内推送完毕。主要更新：节点间漫游更快、支持 WPA3 过渡模式、
        新增定时重启，并修复了部分用户夜间掉线（橙灯）的问题。
        """,
       _r("kenji_t", 4, "Updated all three nodes, took about 8 minutes. Roaming from the studio to the kitchen is noticeably smoother on my iPhone."),
       _r("wang.lei", 11, "已更新，WPA3 过渡模式终于可以用了，家里的老 Kindle 也能连上。"),
       _r("oliviap", 26, """
           Update bricked my satellite node: solid red light, won't rejoin.
           Not impressed, I did exactly what the post said.
           """),
       _r("acme_chen", 2, """
           @oliviap sorry about that. A solid red light after an update usually means the node lost its pairing,
           not that it is bricked. Please try:

           1. Hold the reset pin on the **satellite** for 10 seconds until it blinks blue.
           2. In the app: **Devices → Add node**, and keep it within 3 m of the main router.

           If it stays red, send me a private message with the node's serial and I'll arrange a replacement.
           """, to=4),
       _r("oliviap", 5, "Reset + re-add worked. OK, not bricked. Thanks for the quick answer.", to=5),
       tags=("firmware", "mesh-x6")),

    _t("announcements", "admin", 30.4, "How official answers work here / 官方回答标识说明", """
        Quick note on how to read this forum:

        - Posts by Acme employees carry an **Official** badge.
        - On *Help & Questions*, the person who asked can mark the reply that solved it; it moves to the top.
        - On *Ideas*, the product team sets a status: *under review*, *planned*, *in progress*, *shipped* or
          *declined* (with a reason).

        官方员工的回复会带有「官方」标识；提问者可以把解决问题的回复标记为最佳答案；
        产品建议会标注处理状态（评估中、已计划、开发中、已上线、暂不考虑）。
        """,
       _r("dad_of_3", 7, "Helpful, thanks. The solved marker will save me a lot of scrolling."),
       _r("zhou-jie", 15, "赞，希望 declined 的时候也写清楚原因 👍"),
       tags=("meta",)),

    _t("announcements", "acme_grace", 20.1, "Acme Home app 5.4: timeline view and dark mode", """
        App **5.4** is out on the App Store and Google Play.

        - **Timeline**: every camera's events in one scrolling view, filter by person / vehicle / pet
        - **Dark mode**, following your phone's setting (the most requested idea on this forum — thank you
          @kenji_t for starting that thread)
        - Faster live view start on Android

        Known issue: on some Android 15 phones the app can hang on *Connecting…* after the update; a fix is in
        5.4.1, due next week. The workaround is in the *App stuck on 'Connecting…'* thread on
        [Help & Questions](/b/help).
        """,
       _r("kenji_t", 3, "Dark mode looks great. The timeline filters are exactly what I wanted."),
       _r("priya.s", 9, "Timeline is nice. Any chance the events get an API? I'd love them in Home Assistant."),
       _r("acme_grace", 6, "@priya.s not in 5.x, but it's part of the Home Assistant idea on the Ideas board — follow that one.", to=3),
       _r("lin_xiaoyu", 14, "深色模式太好看了，晚上看猫再也不刺眼了 🐱"),
       tags=("app", "release")),

    _t("announcements", "acme_chen", 8.3, "Cloud recording maintenance this Saturday / 本周六云存储服务维护通知", """
        Cloud recording will be under maintenance on **Saturday, 02:00–04:00 UTC**
        (北京时间 10:00–12:00).

        During the window:

        - live view and local alerts keep working
        - new cloud clips are buffered on the camera and uploaded afterwards
        - playback of older clips may be unavailable

        本次维护期间实时画面和本地告警不受影响，新录像会先缓存在摄像头上，维护结束后自动上传。
        """,
       _r("maria.g", 6, "Thanks for the heads-up. The baby monitor part (live view) is what matters to us, good to know it stays up."),
       _r("wang.lei", 10, "北京时间上午十点维护，时间选得不错 👍"),
       tags=("cloud", "maintenance")),

    # ---- help & questions ----
    _t("help", "maria.g", 52.6, "Mesh node goes orange every night around 3 am", """
        My second X6 node (upstairs) turns **orange** almost every night around 3 am and the baby camera
        upstairs goes offline with it. Unplugging and replugging fixes it until the next night.

        - Firmware 3.1.4
        - Node is about 8 m and one floor away from the main router
        - Nothing else runs at 3 am as far as I know

        Any ideas?
        """,
       _r("samira_k", 2, "Does the main router run its automatic update check at night? Settings → Maintenance shows the schedule."),
       _r("netnerd42", 4, """
           Could be the DFS channel thing. If the backhaul is on a DFS channel (52–144) and the router detects
           radar, it has to move, and nodes sometimes don't follow. Check the system log for lines like:

           ```
           03:02:11 wlan1: DFS-RADAR-DETECTED freq=5500 ht_enabled=1 chan_offset=0 chan_width=3
           03:02:12 mesh: backhaul lost, node 2 (upstairs)
           ```
           """),
       _r("acme_chen", 5, """
           @netnerd42 is right, this is the DFS case. Two fixes:

           1. Update to firmware **3.2** (rolling out now): nodes follow the channel change properly.
           2. Until then, set the backhaul to a non-DFS channel: **App → X6 → Wi-Fi → Advanced → Backhaul
              channel → 36 or 149**.

           If it still drops after 3.2, post the log here and I'll look.
           """, to=3),
       _r("maria.g", 20, "Set channel 36 last night: no orange light, camera stayed online all night. Thank you both!"),
       _r("dad_of_3", 30, "Same issue here, channel 149 fixed it. Bookmarking this."),
       tags=("mesh-x6", "wi-fi"), accepted=4),

    _t("help", "dad_of_3", 49.8, "How do I share camera access with my family?", """
        My wife and my mother-in-law both want to see the nursery camera. Do they need my password?
        I'd rather they didn't get to change settings.
        """,
       _r("priya.s", 1.5, """
           No need to share your password. In the app:

           1. **Me → Home members → Invite**
           2. Enter their phone number or e-mail
           3. Pick **Viewer** (can watch live and clips, can't change settings)

           They install the app, accept the invite, done.
           """),
       _r("acme_chen", 6, "Correct. Viewers can also be limited to specific cameras: tap the member → *Devices*."),
       _r("dad_of_3", 3, "Perfect, mother-in-law now watches the baby sleep more than we do 😄"),
       tags=("cam-2k", "app", "sharing"), accepted=2),

    _t("help", "wang.lei", 46.1, "摄像头晚上夜视画面发白怎么办？", """
        Cam 2K 放在窗边，晚上夜视画面一片白，基本看不清房间里的东西。白天正常。
        是设备坏了还是设置问题？
        """,
       _r("acme_chen", 3, """
           不是坏了，这是红外补光照到玻璃上反射回镜头造成的。建议：

           - 把摄像头离开窗玻璃至少 **20 cm**，或者贴着玻璃放（镜头紧贴玻璃就不会反光）
           - 如果需要透过窗户看室外，在 App 里关掉红外：**设置 → 夜视 → 关闭红外**，改用彩色夜视
           """),
       _r("zhou-jie", 2, "我家也遇到过，把摄像头往里挪了一点就好了。另外窗帘是白色的也会反光，可以注意一下。"),
       _r("wang.lei", 12, "@acme_chen 挪开 30 cm 后正常了，谢谢！原来是玻璃反光。", to=2),
       _r("lin_xiaoyu", 20, "学到了，我家猫窝正好在窗边 😂"),
       tags=("cam-2k", "夜视"), accepted=2),

    _t("help", "priya.s", 43.0, "Can I use the X6 in access point mode behind my ISP router?", """
        My ISP router has to stay (it does the fibre and the phone line). I want the X6 mesh for Wi-Fi only,
        without double NAT. Is there a proper **access point mode**, and do the nodes still mesh in that mode?
        """,
       _r("netnerd42", 2, """
           Yes: **App → X6 → Advanced → Operation mode → Access point**. DHCP and NAT turn off and the
           main X6 gets its address from the ISP router. Nodes keep meshing, nothing changes there.

           Give it a fixed lease on the ISP router so you can always reach its admin page. I also disable
           the ISP router's own Wi-Fi so devices don't stick to it.
           """),
       _r("acme_grace", 8, """
           Confirming. One limitation: in AP mode the parental controls and per-device usage stats are
           off, because traffic no longer passes through the X6's router. The app shows a banner about it.
           """),
       _r("priya.s", 3, "Parental controls aren't needed here. Switched, no more double NAT, thanks @netnerd42.", to=2),
       _r("wang.lei", 40, "Same setup here with a China Telecom 光猫, works fine in AP mode."),
       tags=("mesh-x6", "networking"), accepted=2),

    _t("help", "oliviap", 23.7, "App stuck on 'Connecting…' after Android 15 update", """
        Since my phone updated to Android 15 the Acme Home app sits on **Connecting…** forever. Cameras work
        fine on my partner's iPhone. Reinstalled twice. This is really not OK for something I pay a
        subscription for.
        """,
       _r("dad_of_3", 1, "Same here on a Pixel 8 since yesterday."),
       _r("zhou-jie", 2, "+1, 小米 14 升级后也是一直转圈。"),
       _r("acme_chen", 3, """
           Thanks for the reports, we can reproduce it. Android 15 restricts *local network access* for apps,
           and the app asks for it the wrong way.

           Workaround until the fix:

           1. Android **Settings → Apps → Acme Home → Permissions → Nearby devices → Allow**
           2. Force-stop the app and open it again

           The fix ships in app 5.4.1.
           """),
       _r("oliviap", 2, "The workaround works. Would have been nice if that was in the release notes, but thanks.", to=4),
       _r("samira_k", 1, "I've linked this thread from the 5.4 announcement so others find it."),
       _r("acme_grace", 100, "5.4.1 is live on Google Play now; the permission prompt is fixed. Thanks for your patience, everyone."),
       tags=("app", "android"), accepted=4),

    _t("help", "xu_ming", 38.2, "路由器 IPv6 怎么开启？", """
        运营商已经下发 IPv6 了，光猫也改成了桥接，X6 拨号。请问 X6 的 IPv6 在哪里开？
        需要选 SLAAC 还是 DHCPv6？
        """,
       _r("acme_chen", 4, """
           路径：**App → X6 → 高级设置 → IPv6**。

           - 连接类型选 **PPPoE 共享**（你是 X6 拨号）
           - 局域网地址分配选 **SLAAC + 无状态 DHCPv6**，兼容性最好（安卓设备不支持纯 DHCPv6）
           - 前缀委托 (PD) 保持默认开启

           开启后可以访问 https://test-ipv6.example 检查。
           """),
       _r("xu_ming", 6, "搞定了，10/10 分 🎉 原来安卓不支持纯 DHCPv6，怪不得之前手机一直拿不到地址。", to=2),
       _r("wang.lei", 30, "收藏了，北京联通同样适用。"),
       tags=("mesh-x6", "ipv6"), accepted=2),

    _t("help", "kenji_t", 34.5, "Motion alerts arrive 30+ seconds late", """
        Notifications from my outdoor Cam Pro come 30–60 seconds after the motion. By then the courier has
        left. The clip itself starts at the right time, so detection works; it's the push that's slow.
        iPhone 15, app 5.3.2.
        """,
       _r("samira_k", 3, "Is the camera on the 2.4 GHz network with a weak signal? Check the signal bars in camera settings."),
       _r("kenji_t", 2, "Signal is -58 dBm, that should be fine.", to=2),
       _r("acme_chen", 7, """
           Thanks. Please check **App → Cam Pro → Notifications → Smart detection**. When *Person only* is on,
           the alert waits for the cloud to classify the clip, which can take 20–40 s. Switch to
           *All motion* for instant alerts, or keep *Person only* and accept the delay. We're moving person
           detection onto the camera later this year, which removes the wait.
           """),
       _r("kenji_t", 5, "That was it. Instant alerts now, slightly more cats in my notifications.", to=4),
       tags=("cam-pro", "notifications"), accepted=4),

    _t("help", "dad_of_3", 31.3, "Forgot the router admin password — can I reset without losing settings?", """
        Kids changed the Wi-Fi admin password "as a joke" and nobody remembers it. Is there a way to reset it
        without setting up the whole mesh again?
        """,
       _r("netnerd42", 1, """
           If the X6 is still bound to your Acme account, you don't need the local admin password at all:
           the app manages it through your account. **App → X6 → Settings → Local admin password → Change**.
           """),
       _r("dad_of_3", 2, "It was that easy. The kids have been informed that the joke is over.", to=2),
       tags=("mesh-x6",), accepted=2),

    _t("help", "zhou-jie", 27.9, "Cam 2K 支持 RTSP 吗？Need it for my NAS", """
        想把 Cam 2K 的画面接到 Synology Surveillance Station，官方有 RTSP / ONVIF 吗？
        Searching the forum gave me mixed answers.
        """,
       _r("priya.s", 3, "Not in the stable firmware. I use the cloud API via a Home Assistant custom integration, but it's a hack."),
       _r("acme_chen", 5, """
           RTSP 目前在 **Beta 固件 2.8** 里提供（会员可在 *Beta testers* 版块报名）。
           RTSP is in the **2.8 beta** for Cam 2K; stable release is planned once the stream-drop bug
           (see the beta board) is fixed. ONVIF is not planned for now.
           """),
       _r("zhou-jie", 4, "Great, 已报名 beta。Thanks!", to=3),
       tags=("cam-2k", "rtsp", "nas"), accepted=3),

    _t("help", "maria.g", 16.4, "What's the real Wi-Fi range of the Cam Pro outdoor camera?", """
        The box says "up to 50 m". I'd like to put one on the garden shed, about 25 m from the house with
        a brick wall in between. Will that work?
        """,
       _r("netnerd42", 2, """
           The 50 m is line of sight. Through a brick wall you lose a lot. Easiest: put an X6 node near the
           back window of the house; then it's ~20 m through glass, which works well.
           """),
       _r("kenji_t", 5, "Mine is 18 m from a node through a window, solid signal, never drops."),
       _r("maria.g", 20, "Put the spare node in the kitchen as suggested. Shed camera shows -61 dBm, works fine!", to=2),
       tags=("cam-pro", "wi-fi"), accepted=2),

    _t("help", "oliviap", 11.2, "How do I export cloud recordings to my computer?", """
        Need to give a clip to my insurance after someone hit my car. I can only find "share" in the app,
        which makes a link that expires. How do I get the actual video file?
        """,
       _r("priya.s", 1, "On desktop: sign in at the web portal, open the clip, **⋯ → Download MP4**. The app can only share links."),
       _r("acme_chen", 3, """
           Correct, and from app 5.4 you can also long-press a clip in the timeline → **Save to phone**.
           Downloads keep the original resolution and timestamp, which insurers usually ask for.
           """),
       _r("oliviap", 4, "Got the MP4 and sent it to the insurer. Thanks both!"),
       tags=("cloud", "app"), accepted=3),

    _t("help", "lin_xiaoyu", 4.6, "猫总是触发移动侦测，能只提醒人吗？", """
        家里两只猫，一天能收到几十条移动提醒 😂 有没有办法只在有人出现的时候提醒？
        """,
       _r("wang.lei", 1.5, "设置 → 通知 → 智能侦测，选「仅人形」。"),
       _r("acme_chen", 4, """
           @wang.lei 说得对。另外可以在 **设置 → 侦测区域** 把猫常待的地方（猫爬架、窗台）排除掉。
           注意选「仅人形」后提醒会有 20–40 秒延迟，原因见求助版的
           *Motion alerts arrive 30+ seconds late* 帖子。
           """, to=2),
       _r("lin_xiaoyu", 3, "改成仅人形了，今天只收到两条提醒，世界清静了 🙏"),
       tags=("cam-2k", "notifications"), accepted=3),

    # ---- ideas ----
    _t("ideas", "priya.s", 55.0, "Local storage for cameras (microSD or NAS) — no subscription", """
        I'd buy two more Cam Pros tomorrow if recordings could go to **local storage** instead of the cloud:

        - a microSD slot, or
        - recording to an SMB/NFS share on a NAS

        Cloud could stay as the paid, off-site option. Right now I'm paying for a subscription to store
        video of my own garden on someone else's computer.
        """,
       _r("netnerd42", 2, "+1. A NAS target would be ideal, I already back that up off-site."),
       _r("kenji_t", 5, "+1 for microSD at least, for when the internet is down. Which is exactly when you want recordings."),
       _r("oliviap", 9, "This. The subscription is the main reason I haven't recommended Acme cams to friends."),
       _r("zhou-jie", 12, "强烈支持，NAS 录像是刚需。"),
       _r("acme_grace", 30, """
           Thank you all, this is one of the top ideas here and we hear you. Status: **under review**.
           The hardware question (a microSD slot) only applies to future models; NAS recording could come
           to current cameras through firmware. I'll update this thread when we decide.
           """),
       _r("acme_grace", 500, """
           Update: NAS recording (SMB) for Cam 2K and Cam Pro is now **planned** for the second half of the
           year, together with RTSP. Moving this idea to *planned*.
           """),
       _r("priya.s", 6, "Great news. Happy to beta test the SMB part.", to=7),
       tags=("cam-2k", "cam-pro", "storage"), status=IdeaStatus.planned),

    _t("ideas", "netnerd42", 50.3, "Official Home Assistant integration", """
        There are two community integrations on GitHub, both reverse-engineered and both broken after every
        app update. An official, local integration would be great:

        - camera streams and motion events
        - router presence detection (who's home)
        - firmware update status

        Even a documented local API would do; the community would write the integration.
        """,
       _r("priya.s", 3, "Yes please. A documented local API beats an official integration that lags behind, honestly."),
       _r("xu_ming", 8, "+1，本地 API 就够了，社区会自己写集成。"),
       _r("acme_grace", 40, """
           Under review. We're looking at a local API first (REST + event stream), which would also allow
           other platforms. No date yet.
           """),
       _r("netnerd42", 3, "A local API would be perfect. Happy to help test. @priya.s you in?", to=4),
       tags=("home-assistant", "api"), status=IdeaStatus.under_review),

    _t("ideas", "lin_xiaoyu", 41.7, "希望 App 支持家庭成员分级权限", """
        现在共享给家人只有「管理员」和「查看者」两种，希望能更细一些：

        - 父母只能看客厅摄像头，不能看卧室
        - 孩子可以看但不能删除录像
        - 保姆只能在白天时段查看

        特别是最后一条，很多家庭都有需求。
        """,
       _r("wang.lei", 5, "支持，按时间段授权很实用。"),
       _r("maria.g", 9, "(translated) Time-limited access for a nanny would be great for us too! +1"),
       _r("acme_chen", 20, """
           谢谢建议！按设备授权已经在 App 5.3 上线（成员 → 设备）。按时间段授权已列入计划，
           状态改为「已计划」。
           """),
       tags=("app", "sharing"), status=IdeaStatus.planned),

    _t("ideas", "kenji_t", 40.2, "Dark mode for the app, please", """
        Checking the cameras at night means getting blinded by a white app. A dark mode that follows the
        system setting would be enough.
        """,
       _r("oliviap", 3, "Yes. Every other app has this by now."),
       _r("lin_xiaoyu", 7, "+1 深色模式"),
       _r("acme_grace", 400, "Shipped in app 5.4 🎉 Thanks for the idea, @kenji_t."),
       tags=("app",), status=IdeaStatus.shipped),

    _t("ideas", "dad_of_3", 33.1, "Guest Wi-Fi with a QR code and a time limit", """
        When friends come over I end up reading out a 20-character password. Idea:

        - guest network with a **QR code** in the app, to show on my phone
        - optional **time limit** (guest access ends after 24 h)
        - guests can't see my cameras or other devices, obviously
        """,
       _r("samira_k", 2, "Guest network exists already (Wi-Fi → Guest), but the QR code and the time limit would be nice additions."),
       _r("zhou-jie", 6, "QR code 分享 Wi-Fi 很方便，支持。"),
       _r("acme_grace", 50, "Good one. QR sharing and time-limited guest access are **in progress** for firmware 3.3; beta testers will see it first."),
       tags=("mesh-x6", "guest-wi-fi"), status=IdeaStatus.in_progress),

    _t("ideas", "maria.g", 21.9, "Privacy zones on the camera image", """
        Our camera in the living room also sees into the neighbours' window across the street. I'd like to
        black out part of the image (not just exclude it from motion detection), so it's never recorded.
        """,
       _r("kenji_t", 4, "Privacy masking is standard on most IP cameras, would be good to have."),
       _r("priya.s", 8, "Agreed, and it matters for GDPR if you film anything outside your own property."),
       tags=("cam-2k", "privacy")),

    _t("ideas", "wang.lei", 18.3, "建议：路由器增加定时重启功能", """
        希望 X6 能设置每周定时重启，比如每周一凌晨 4 点，长时间运行后偶尔会变慢。
        """,
       _r("netnerd42", 3, "(via translate) This exists since firmware 3.2: Settings → Maintenance → Scheduled reboot."),
       _r("acme_chen", 5, """
           @netnerd42 说得对，3.2 固件已有此功能：**设置 → 维护 → 定时重启**。
           这个建议标记为「暂不考虑」（已有功能）。如果重启前变慢的问题持续存在，欢迎在求助版发帖，我们更想解决根本原因。
           """),
       _r("wang.lei", 2, "原来已经有了，我还没升级 😅 谢谢！"),
       tags=("mesh-x6",), status=IdeaStatus.declined),

    _t("ideas", "oliviap", 9.6, "Show data usage per device per month", """
        The app shows live bandwidth per device, but not totals. I'd like a monthly view: which device used
        how much, ideally with a chart, so I can find out what's eating our mobile-hotspot data when we're
        at the holiday flat.
        """,
       _r("dad_of_3", 3, "+1. I suspect the kids' tablet, and I'd like proof."),
       _r("netnerd42", 5, "Would be great with an export (CSV) too."),
       tags=("mesh-x6", "app")),

    _t("ideas", "xu_ming", 2.8, "Scheduled Wi-Fi off for kids' devices / 儿童设备定时断网", """
        家长控制现在只能按网站分类过滤，希望可以给指定设备设置断网时间，比如工作日 22:00–07:00 断网。
        Parental controls should have per-device schedules, e.g. no Wi-Fi for the kids' tablets on school nights.
        """,
       _r("dad_of_3", 2, "Yes!! This is the one feature I actually need."),
       _r("samira_k", 4, "Note: a similar request was in an older thread; I've pointed it here so the votes collect in one place."),
       tags=("parental-controls", "mesh-x6")),

    # ---- general ----
    _t("general", "netnerd42", 48.4, "Show us your mesh layout! (floor plans welcome)", """
        Curious how people place their nodes. Mine, in a 3-storey townhouse:

        | Floor | Device | Backhaul |
        |---|---|---|
        | Ground | X6 main (next to fibre box) | — |
        | First | X6 node, hallway | wired |
        | Attic | X6 node, office | wireless, ch 149 |

        Wired backhaul to the first floor made the biggest difference. What's yours?
        """,
       _r("kenji_t", 4, "Bungalow, main + one node at the far end, wireless. Everything above 400 Mbit/s."),
       _r("wang.lei", 9, "三居室，主路由在客厅，一个节点在主卧门口，无线回程，够用了。"),
       _r("maria.g", 20, "Main downstairs, node upstairs on channel 36 (thanks to the help thread!), spare node in the kitchen for the shed camera."),
       _r("priya.s", 7, """
           Main in the cupboard with the NAS, two wired nodes. Tip for anyone running cable: a flat Cat6
           cable fits under most doors.
           """),
       _r("netnerd42", 3, "@priya.s flat cable under doors is underrated. Nice setup.", to=5),
       tags=("mesh-x6", "setups")),

    _t("general", "kenji_t", 42.7, "Honest review after 3 months with the Cam 2K", """
        I promised a review, so here it is.

        **Good**

        - Image quality in daylight is genuinely good for the price; 2K is sharp enough to read a number plate at 6 m
        - Setup took 4 minutes
        - Two-way audio is clear

        **Not so good**

        - Night vision behind glass (see the help thread — it's physics, but still)
        - Person detection needs the cloud, so alerts are slow
        - No local storage

        > Would I buy it again? Yes, but I'd want local recording before buying a third one.

        7.5/10.
        """,
       _r("oliviap", 3, "Fair review. My score would be lower because of the subscription, but the picture really is good."),
       _r("zhou-jie", 8, "很中肯的评测。同意，缺本地存储是最大的短板。"),
       _r("acme_grace", 24, """
           Thanks @kenji_t, this is useful. Two of your three "not so good" points are on our list: on-camera
           person detection and NAS recording (see the Ideas board).
           """),
       _r("kenji_t", 2, "Good to hear. I'll update the review when they ship.", to=4),
       tags=("cam-2k", "review")),

    _t("general", "oliviap", 36.9, "Is the cloud subscription worth it?", """
        Honest question. €4.99/month per camera, or €9.99 for all. What do you actually use it for? I keep
        wondering if I should just cancel.
        """,
       _r("dad_of_3", 2, "For us: 30-day history and person alerts. Someone took a parcel from our porch and the clip got it back."),
       _r("priya.s", 3, "I'd cancel the day local recording exists. Until then it's the only way to keep clips."),
       _r("maria.g", 5, "We only use live view for the baby, so we're on the free tier. Works fine."),
       _r("kenji_t", 8, """
           > What do you actually use it for?

           Mostly the timeline and being able to scroll back a week. I'd pay less if the camera recorded
           locally, honestly.
           """, to=1),
       _r("samira_k", 4, "Reminder that price feedback is welcome, but keep it civil — the staff here don't set prices 🙂"),
       tags=("cloud", "subscription")),

    _t("general", "priya.s", 28.5, "Speed test thread: post your results", """
        Same method for everyone: wired PC next to the main X6, then a phone in the farthest room.
        Mine (1 Gbit fibre):

        - wired: 940 / 910 Mbit/s
        - phone, 2 rooms away, via node: 610 / 540 Mbit/s
        """,
       _r("netnerd42", 2, "500 Mbit cable: wired 470/48, attic office via wireless backhaul 420/45. Basically line speed."),
       _r("wang.lei", 6, "300M 宽带：有线 310/45，卧室手机 280/40，跑满了。"),
       _r("kenji_t", 9, "1 Gbit, wired 920, far end of the bungalow 380. Wireless backhaul is the limit there."),
       _r("zhou-jie", 14, "新加坡 1G：有线 930，手机 700 左右，very happy。"),
       tags=("mesh-x6", "speed")),

    _t("general", "maria.g", 14.8, "Caught a fox on the shed camera 🦊", """
        The new camera on the garden shed caught a fox at 2:14 am, walking right past the lens and looking
        straight at it. Best notification I've ever had. Clip is in my timeline if anyone from Acme wants it
        for marketing 😄
        """,
       _r("kenji_t", 2, "Night vision did well there, nice!"),
       _r("lin_xiaoyu", 6, "太可爱了！我家摄像头只拍到过猫打架 😂"),
       _r("acme_grace", 10, "That's brilliant. We'd love to feature it, I'll send you a private message. 🦊"),
       _r("dad_of_3", 4, "Ours catches hedgehogs. The kids named them all."),
       tags=("cam-pro", "wildlife")),

    _t("general", "dad_of_3", 12.1, "Support replaced my faulty node in 2 days — thank you", """
        One of my nodes started rebooting every few hours. Opened a ticket on Monday, support asked for one
        log export, and a replacement arrived on Wednesday with a return label for the old one.

        Complaints get posted a lot, so here's some praise for a change. 👏
        """,
       _r("acme_chen", 5, "Thanks Mike, I'll pass this on to the team — they'll be happy to read it."),
       _r("samira_k", 2, "Good to hear. Nice to see a thank-you thread for a change."),
       tags=("support",)),

    _t("general", "oliviap", 6.4, "Anyone else bothered by the bright LED on the nodes?", """
        The node in our bedroom lights up the whole room at night. Is there a way to turn the LED off, or do
        I need tape?
        """,
       _r("netnerd42", 1, "App → X6 → the node → **LED → Night mode** (off from 22:00 to 07:00) or **Off**."),
       _r("oliviap", 2, "Found it. Thanks — no tape needed.", to=2),
       _r("xu_ming", 5, "中文界面是：设备 → 节点 → 指示灯 → 夜间模式。"),
       tags=("mesh-x6",)),

    _t("general", "kenji_t", 1.9, "Acme at the consumer electronics fair next month?", """
        Is Acme going to the fair next month? Would love to see the rumoured Cam Pro 2 in person.
        """,
       _r("acme_grace", 5, "We'll be there (hall 2). I can't comment on rumoured products, but come and say hi! 😉"),
       _r("zhou-jie", 3, "Hall 2, noted. 到时候见！"),
       tags=("events",)),

    # ---- setups ----
    _t("setups", "kenji_t", 39.5, "My setup: 3 nodes, 5 cameras, 1 very confused cat", """
        - X6 main in the studio, two wireless nodes
        - 3× Cam 2K indoors (studio, hallway, living room), 2× Cam Pro outdoors
        - Everything on a separate IoT network via the guest Wi-Fi trick

        The cat has learned where the cameras are and sits in the one blind spot. Pictures of the blind spot
        on request.
        """,
       _r("priya.s", 4, "Putting cameras on the guest network is smart. Does the app still reach them from outside?"),
       _r("kenji_t", 2, "Yes, they go through the cloud anyway. Local live view from the main network stops working though.", to=2),
       _r("lin_xiaoyu", 9, "猫：你们拍不到我 😼"),
       tags=("setups", "cam-2k")),

    _t("setups", "priya.s", 26.2, "Automations: share your recipes (IFTTT / webhooks)", """
        The app's webhook action is underused. Mine, to switch the porch light on when the Cam Pro sees a person
        after sunset:

        ```yaml
        trigger:
          camera: porch
          event: person_detected
        condition:
          after: sunset
        action:
          webhook: https://ha.local/api/webhook/porch_light_on
        ```

        What are yours?
        """,
       _r("netnerd42", 3, "Router presence → when my phone leaves home, cameras switch to *Away* mode. Zero-effort security."),
       _r("xu_ming", 7, """
           我用 webhook 推送到企业微信群：

           ```bash
           curl -s -X POST "$WECOM_WEBHOOK" \\
             -H 'Content-Type: application/json' \\
             -d '{"msgtype":"text","text":{"content":"门口有人"}}'
           ```
           """),
       _r("dad_of_3", 12, "Mine is boring: when the kids' tablets connect after 21:00, I get a notification. Works wonders."),
       tags=("automation", "webhooks")),

    _t("setups", "wang.lei", 19.7, "小户型（60㎡）有必要上 Mesh 吗？", """
        两居室 60 平，一台 X6 主路由放客厅，卧室信号两格。需要再买一个节点吗？还是换个位置就行？
        """,
       _r("xu_ming", 2, "先试试把路由器放高一点、离开电视柜。60 平一般一台够了，墙多的话再加节点。"),
       _r("zhou-jie", 5, "同意，我 70 平一台 X6 放在走廊中间，全屋满格。"),
       _r("wang.lei", 20, "挪到走廊的鞋柜上面，卧室满格了，省了一个节点的钱 😄", to=2),
       tags=("mesh-x6", "setups")),

    # ---- 中文社区 ----
    _t("zh", "lin_xiaoyu", 57.3, "大家好，新人报到 👋", """
        杭州的小伙伴，家里两台 Cam 2K 看猫，一台 X6 路由。以后请多指教～
        """,
       _r("wang.lei", 3, "欢迎欢迎！北京的，也是 X6 用户。"),
       _r("zhou-jie", 6, "欢迎～有猫照片记得发 🐱"),
       _r("acme_chen", 9, "欢迎！有问题可以在求助版发帖，我会尽量及时回复。"),
       _r("xu_ming", 30, "欢迎，深圳报到。"),
       _r("lin_xiaoyu", 5, "谢谢大家！@zhou-jie 猫照片安排上了，在晒单帖里 😂", to=3),
       tags=("新人报到",)),

    _t("zh", "xu_ming", 47.6, "X6 三个节点的摆放心得（附户型说明）", """
        户型：三室两厅，约 120 平，主路由在书房（弱电箱在那里）。分享一下折腾一周的结论：

        1. 节点之间尽量**隔一堵墙以内**，隔两堵墙回程速率掉一半
        2. 回程信道手动设成 **149**，比自动稳定
        3. 节点不要放在地上，放到 1 米以上的柜子上
        4. 能走网线回程就走网线

        最终结果：全屋 5G 频段手机测速 600M+。
        """,
       _r("wang.lei", 4, "第 2 点很有用，自动信道有时候会跳到 DFS 信道。"),
       _r("zhou-jie", 8, "干货，收藏了。"),
       _r("acme_chen", 20, "总结得很好！补充一点：3.2 固件之后 DFS 跳信道的问题已修复，自动信道也可以放心用了。"),
       _r("xu_ming", 2, "@acme_chen 好的，等我升级后再测一次自动信道。", to=4),
       tags=("mesh-x6", "组网")),

    _t("zh", "wang.lei", 35.2, "吐槽一下：App 推送太多了", """
        每天收到七八条推送，有设备提醒，也有「新品推荐」「会员优惠」……后者能不能别推了？
        """,
       _r("lin_xiaoyu", 2, "同感，营销推送有点烦。"),
       _r("acme_chen", 3, """
           抱歉打扰了！营销类推送可以单独关闭：**我的 → 设置 → 通知 → 活动与优惠 → 关闭**。
           设备告警不受影响。这个反馈我也会转给产品团队，默认是否开启营销推送值得再讨论。
           """),
       _r("wang.lei", 1, "关掉了，清净多了。希望默认关闭 🙏", to=3),
       _r("zhou-jie", 10, "+1，营销推送应该默认关闭。"),
       tags=("app", "吐槽")),

    _t("zh", "zhou-jie", 24.8, "入手 Cam 2K 两个月，说说使用感受", """
        优点：

        - 2K 画质清晰，白天能看清快递单上的字
        - App 简洁，家人很快上手
        - 价格合理

        缺点：

        - 不支持本地存储（已经在产品建议里 +1 了）
        - 人形侦测有延迟

        总体推荐，but I hope NAS support comes soon。
        """,
       _r("lin_xiaoyu", 5, "同意，画质真的不错，猫毛都看得清。"),
       _r("wang.lei", 9, "人形侦测延迟的问题官方说今年会改到本地识别。"),
       _r("acme_chen", 12, "谢谢分享！本地存储（NAS）已列入计划，进展会在产品建议帖里更新。"),
       tags=("cam-2k", "评测")),

    _t("zh", "xu_ming", 13.5, "有没有人用 X6 刷 OpenWrt？", """
        看了一下 X6 的芯片是 MT7986，理论上 OpenWrt 已经支持了。有没有大佬试过？
        会不会影响 Mesh 组网？
        """,
       _r("zhou-jie", 4, "我没刷，怕变砖 😂 而且刷了之后应该就没有官方 Mesh 了。"),
       _r("netnerd42", 6, "(English, sorry) I tried on a spare unit: OpenWrt boots, but you lose Acme's mesh and the app. Fun for tinkering, not for the family network."),
       _r("acme_chen", 8, """
           提醒一下：刷第三方固件会失去保修，也无法使用 App 和官方 Mesh。
           如果是想要更多高级功能，欢迎在产品建议版块提需求，比如 @xu_ming 之前提的定时断网。
           """),
       _r("xu_ming", 3, "明白，那我就在备用机上玩玩，主力机保持官方固件。", to=4),
       tags=("mesh-x6", "openwrt")),

    _t("zh", "lin_xiaoyu", 3.4, "家里老人用摄像头的一些小技巧", """
        给爸妈装了 Cam 2K，总结几个让老人用得顺手的设置：

        1. 把他们的账号设为「查看者」，避免误删录像
        2. App 里开启**大字体模式**（我的 → 设置 → 显示）
        3. 把常看的摄像头设为首页第一个
        4. 关掉营销推送（参考 @wang.lei 的吐槽帖 😂）

        大家还有什么好办法？
        """,
       _r("wang.lei", 2, "实用！我再补充一个：开启双向语音的「一键通话」，老人点一下就能跟家里说话。"),
       _r("zhou-jie", 6, "收藏了，过年回家给爸妈装上。"),
       _r("acme_chen", 9, "总结得很好，已推荐到本周精选 👍"),
       tags=("cam-2k", "技巧")),

    # ---- beta testers (members only) ----
    _t("beta", "acme_grace", 16.9, "[Beta] Firmware 3.3 beta 1 — feedback thread / 固件 3.3 公测反馈", """
        Firmware **3.3.0-beta1** is available to beta members (App → X6 → Firmware → Beta channel).

        New:

        - Guest Wi-Fi with QR code and time limit
        - Per-device schedules in parental controls (first version)
        - Lower idle power use on nodes

        Please report issues here with: node count, backhaul type, and what you were doing.
        请在此帖反馈问题，并注明节点数量、回程方式和操作步骤。
        """,
       _r("xu_ming", 6, "已升级 3 节点（无线回程），访客网络二维码很好用。定时断网在 iPad 上生效了。"),
       _r("netnerd42", 10, """
           3 nodes, mixed backhaul. One issue: the guest network's time limit ends ~5 minutes early.
           Log:

           ```
           guest: session 7f3a expires_at=21:00:00 now=20:55:02 -> revoked
           ```
           """),
       _r("acme_grace", 18, "@netnerd42 thanks, clock skew between the node and the main unit. Fixed for beta 2.", to=3),
       _r("priya.s", 8, "Idle power on a node went from 7.1 W to 5.4 W on my meter. Nice."),
       _r("acme_grace", 120, "**Beta 2** is out with the guest-timer fix. Keep the reports coming!"),
       tags=("firmware", "beta")),

    _t("beta", "priya.s", 10.3, "Cam 2K beta 2.8: RTSP stream drops after ~6 hours", """
        RTSP in the 2.8 beta works great with Frigate, but the stream drops after about 6 hours and only
        comes back after a camera reboot.

        ```
        [frigate] rtsp://cam-living:554/stream1: Connection timed out (after 6h02m)
        ```
        """,
       _r("zhou-jie", 5, "Same with Synology Surveillance Station, ~6h. 我这边也是。"),
       _r("acme_chen", 9, """
           Reproduced: the camera's RTSP session times out when the cloud token refreshes (every 6 h).
           Fix is in 2.8 beta 2, next week. Workaround: reconnect on timeout in your NVR (Frigate retries by
           default after 10 s).
           """),
       _r("priya.s", 4, "Makes sense. Frigate reconnects fine, so it's tolerable until beta 2.", to=3),
       tags=("cam-2k", "rtsp", "beta")),

    _t("beta", "xu_ming", 5.2, "App 5.5 beta: 新版时间轴滑动有点卡", """
        安卓 5.5 beta 的时间轴，事件多的时候（一天 100+ 条）快速滑动会卡顿，5.4 正式版没有这个问题。
        机型：小米 13，Android 15。
        """,
       _r("acme_grace", 8, "Thanks @xu_ming, forwarded to the Android team. Do you see it with thumbnails off as well?"),
       _r("xu_ming", 3, "关掉缩略图就不卡了，应该是缩略图加载的问题。", to=2),
       tags=("app", "beta")),

    # ---- staff room ----
    _t("staff", "acme_grace", 21.5, "Weekly triage: top community issues / 每周问题汇总", """
        Top threads this week:

        1. Android 15 *Connecting…* hang — workaround posted, fix in 5.4.1 (owner: app team)
        2. DFS / orange node at night — fixed in 3.2, keep pointing people to the help thread
        3. Local/NAS storage — most-voted idea; decision expected next month

        @acme_chen anything from the Chinese board?
        """,
       _r("acme_chen", 3, """
           中文区本周主要两个问题：营销推送太多（建议默认关闭），以及 IPv6 设置路径不好找。
           In short: marketing push notifications default to on and people hate it; IPv6 settings are hard to find.
           """),
       _r("admin", 5, "Noted. I'll add the IPv6 answer to the FAQ. Marketing-push default: can we raise it with growth?"),
       _r("acme_grace", 2, "Yes, I'll take it to the Thursday meeting.", to=3),
       tags=("triage",)),

    _t("staff", "acme_chen", 6.9, "Draft answer template: Android 15 connection issue", """
        Template for the Android 15 hang, feel free to edit:

        > Thanks for the report! Android 15 restricts local network access. Please go to
        > **Settings → Apps → Acme Home → Permissions → Nearby devices → Allow**, then force-stop and reopen
        > the app. App 5.4.1 fixes this; please update from Google Play.

        中文版：

        > 感谢反馈！安卓 15 限制了本地网络权限，请在 **设置 → 应用 → Acme Home → 权限 → 附近设备 → 允许**，
        > 然后强制停止并重新打开 App。5.4.1 版本已修复，请更新。
        """,
       _r("acme_grace", 4, "LGTM. Add a link to the help thread so people can see others had it too."),
       _r("admin", 6, "Saved as a canned reply for moderators as well."),
       tags=("templates",)),
)


# ---- loading -------------------------------------------------------------------------------------

@dataclass
class _Loaded:
    members: dict[str, Member] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"boards": 0, "members": 0, "threads": 0, "posts": 0})
    new_members: dict[str, DemoMember] = field(default_factory=dict)
    last_active: dict[str, datetime] = field(default_factory=dict)
    first_active: dict[str, datetime] = field(default_factory=dict)


def seed(if_empty: bool, now: datetime | None = None) -> dict | None:
    """Load the demo community and return what was added; None when `if_empty` and boards exist.

    Flushes but never commits (the CLI command does). A second run reuses the members and boards it
    finds and skips threads that exist, so it adds nothing.
    """
    if if_empty and db.session.scalar(select(Board.id).limit(1)) is not None:
        return None
    now = now or utcnow()
    loaded = _Loaded()
    try:
        _load_members(loaded)
        _load_boards(loaded, now)
        for spec in THREADS:
            _load_thread(loaded, spec, now)
    except ServiceError as exc:
        db.session.rollback()
        details = "; ".join(f"{name}: {message}" for name, message in exc.fields.items()) or str(exc.message)
        raise click.ClickException(f"Could not load the demo community ({details}). Nothing was saved.")
    _settle_members(loaded, now)
    _settle_boards(loaded)
    db.session.flush()
    return dict(loaded.counts)


def _email(username: str) -> str:
    return f"{username.replace('_', '.')}@{EMAIL_DOMAIN}"


def _load_members(loaded: _Loaded) -> None:
    for spec in MEMBERS:
        member = db.session.scalar(select(Member).where(Member.username_key == username_key(spec.username)))
        if member is None:
            if spec.username in _RESERVED_DEMO_NAMES:
                member = _register_reserved(spec)
            else:
                member = register_member(spec.username, _email(spec.username), DEMO_PASSWORD, role=spec.role,
                                         locale=spec.locale, display_name=spec.display_name)
            update_profile(member, display_name=spec.display_name, bio=spec.bio, locale=spec.locale)
            loaded.new_members[spec.username] = spec
            loaded.counts["members"] += 1
        loaded.members[spec.username] = member


# Names the sign-up rules reserve but the demo wants (`admin`, so a trial can sign in as admin).
_RESERVED_DEMO_NAMES = {"admin"}


def _register_reserved(spec: DemoMember) -> Member:
    """Create a member whose username the sign-up rules reserve, with every other rule of register_member."""
    email = normalise_email(_email(spec.username))
    if db.session.scalar(select(Member.id).where(Member.email_key == email_key(email))):
        raise Conflict("taken", {"email": f"{email} belongs to another account already"})
    if problem := passwords.password_problem(DEMO_PASSWORD, username=spec.username, email=email):
        raise ValidationFailed("password", {"password": problem})
    member = Member(username=spec.username, username_key=username_key(spec.username), email=email,
                    email_key=email_key(email), password_hash=passwords.hash_password(DEMO_PASSWORD),
                    role=spec.role, locale=spec.locale, display_name=spec.display_name)
    db.session.add(member)
    db.session.flush()
    member_registered.send(member)
    return member


def _load_boards(loaded: _Loaded, now: datetime) -> None:
    existing = {board.slug: board for board in db.session.scalars(
        select(Board).where(Board.slug.in_([spec.slug for spec in BOARDS])))}
    for position, spec in enumerate(BOARDS):
        board = existing.get(spec.slug)
        if board is None:
            board = Board(slug=spec.slug, name=spec.name, description=spec.description, kind=spec.kind,
                          visibility=spec.visibility, position=position,
                          created_at=now - timedelta(days=BOARDS_CREATED_DAYS_AGO))
            db.session.add(board)
            loaded.counts["boards"] += 1
        loaded.boards[spec.slug] = board
    db.session.flush()


def _timeline(spec: DemoThread, now: datetime) -> list[datetime]:
    """Return when each post of the thread was written: oldest first, none later than a few minutes ago."""
    start = now - timedelta(days=spec.days_ago)
    offsets = [0.0]
    for reply_spec in spec.replies:
        offsets.append(offsets[-1] + reply_spec.after_hours)
    latest = (now - timedelta(minutes=10) - start).total_seconds() / 3600
    if offsets[-1] > latest:  # squeeze a thread that would run into the future, keeping its rhythm
        offsets = [offset * latest / offsets[-1] for offset in offsets]
    return [start + timedelta(hours=offset) for offset in offsets]


def _load_thread(loaded: _Loaded, spec: DemoThread, now: datetime) -> None:
    board = loaded.boards[spec.board]
    if db.session.scalar(select(Thread.id).where(Thread.board_id == board.id, Thread.title == spec.title)):
        return
    thread = forum.start_thread(loaded.members[spec.author], board, spec.title, spec.body, tags=list(spec.tags))
    posts = [db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))]
    for reply_spec in spec.replies:
        reply_to = posts[reply_spec.to - 1] if reply_spec.to else None
        posts.append(forum.reply(loaded.members[reply_spec.author], thread, reply_spec.body, reply_to=reply_to))

    times = _timeline(spec, now)
    authors = [spec.author] + [reply_spec.author for reply_spec in spec.replies]
    for post, when, author in zip(posts, times, authors):
        post.created_at = when
        loaded.first_active[author] = min(when, loaded.first_active.get(author, when))
        loaded.last_active[author] = max(when, loaded.last_active.get(author, when))
    thread.created_at, thread.last_posted_at = times[0], times[-1]
    if spec.accepted:
        thread.accepted_post_id = posts[spec.accepted - 1].id
    if spec.status is not None:
        thread.idea_status = spec.status
    if spec.pinned:
        thread.pinned_at = times[0]
        thread.pinned_globally = True
    db.session.flush()
    loaded.counts["threads"] += 1
    loaded.counts["posts"] += len(posts)


def _settle_members(loaded: _Loaded, now: datetime) -> None:
    """Date the new members' sign-up before their first post, and their last visit at their last post."""
    for username, spec in loaded.new_members.items():
        member = loaded.members[username]
        joined = now - timedelta(days=spec.joined_days_ago)
        if username in loaded.first_active:
            joined = min(joined, loaded.first_active[username] - timedelta(hours=6))
        member.created_at = joined
        member.last_seen_at = loaded.last_active.get(username, joined)


def _settle_boards(loaded: _Loaded) -> None:
    """Make each board's last post time that of its latest live thread (the services stamped 'now')."""
    db.session.flush()
    ids = [board.id for board in loaded.boards.values()]
    latest = dict(db.session.execute(
        select(Thread.board_id, func.max(Thread.last_posted_at))
        .where(Thread.board_id.in_(ids), Thread.deleted_at.is_(None)).group_by(Thread.board_id)).all())
    for board in loaded.boards.values():
        db.session.refresh(board)  # the services moved its counters in SQL
        board.last_posted_at = latest.get(board.id)
