"""Every word the visitor reads, in English, Catalan and Spanish: one dict per language, nothing scattered.

Components take ``t("key")`` (a ``gr.I18n`` key): the browser shows the text of its own language (its locale, or
the language buttons in the header) and falls back to English. Data the library names (creatures, generators,
backgrounds, …) are translated with :func:`choice` when a ``<prefix>.<name>`` key exists, and stay as they are when
not, so a new creature or background never breaks the UI. Texts with ``{minutes}`` get the retention window when
:func:`build_i18n` assembles the translations. What the library says itself (the errors it raises, the notes it
adds to a result: :class:`relive.messages.Message`) is translated on the server by :func:`message`, from
:data:`MESSAGES`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import gradio as gr
from gradio.i18n import I18nData

from relive.avatar.attributes import SUMMARY_WORDS
from relive.config import settings
from relive.messages import render
from relive.pet.render import WORDS

LANGUAGES = {"en": "English", "ca": "Català", "es": "Español"}  # each language named in itself
DEFAULT = "en"
STEP_KEYS = ("pet", "avatar", "carousel")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        # header, steps, navigation
        "app.title": "# relive\nYour music taste, turned into festival souvenirs.",
        "app.start_over": "Start over",
        "step.pet": "Pet", "step.avatar": "Avatar", "step.carousel": "Carousel", "step.aria": "Steps",
        "tab.pet": "1 · Pet", "tab.avatar": "2 · Avatar", "tab.carousel": "3 · Carousel",
        "next.pet": "Next: make my avatar →", "next.avatar": "Next: put me in a festival →",
        "privacy.title": "Privacy: what happens to your photo",
        "privacy.body": (
            "- **Your photo** is used only to make your avatar, and only once you tick the consent box. It is not "
            "kept after that, not put in a database and not sent anywhere.\n"
            "- **Everything you make** (photo, pet, avatar, album) is deleted from this machine at the latest "
            "**{minutes} minutes** after it was made. Your album files go as soon as you press *Start over* or the "
            "screen resets, unless you took them with the QR code.\n"
            "- **The phone link** (QR code) is secret and stops working after {minutes} minutes.\n"
            "- **Logs** keep nothing about you: no photos, no names, no links."),
        # Pet tab
        "pet.creature": "Choose your creature",
        "creature.Cosmo the cat": "Cosmo the cat", "creature.Bruno the bear": "Bruno the bear",
        "creature.Pip the bunny": "Pip the bunny", "creature.Luna the axolotl": "Luna the axolotl",
        "preset.Rocker": "Rocker", "preset.Jazz cat": "Jazz cat", "preset.Raver": "Raver",
        "preset.Reggae sunshine": "Reggae sunshine", "preset.Hip-hop head": "Hip-hop head",
        "preset.Folk wanderer": "Folk wanderer", "preset.Pop star": "Pop star",
        "preset.Culture vulture": "Culture vulture",
        "group.Guitars": "**Guitars**", "group.Beats & bass": "**Beats & bass**",
        "group.Voices & grooves": "**Voices & grooves**", "group.Festival life": "**Festival life**",
        "genre.Comedy": "Comedy", "genre.Art": "Art", "genre.Chill": "Chill", "genre.Food": "Food",
        "genre.Social": "Social", "genre.Rock": "Rock", "genre.Pop": "Pop", "genre.Soul": "Soul", "genre.Jazz": "Jazz",
        "genre.Electronic": "Electronic", "genre.Folk": "Folk", "genre.Reggae": "Reggae", "genre.Hip-hop": "Hip-hop",
        "genre.Punk": "Punk", "genre.Rap": "Rap", "genre.Classical": "Classical", "genre.Indie": "Indie",
        "genre.Other": "Other",
        "pet.swap": "Swap an accessory",
        "slot.Head": "Head", "slot.Face": "Face", "slot.Torso": "Torso",
        "pet.auto": "auto (best match)", "pet.nothing": "nothing",
        # the accessories (assets/pet/accessories.csv), by their display name
        "acc.Jester hat": "Jester hat", "acc.Beret": "Beret", "acc.Sun hat": "Sun hat", "acc.Chef hat": "Chef hat",
        "acc.Party hat": "Party hat", "acc.Devil horns": "Devil horns", "acc.Pop tiara": "Pop tiara",
        "acc.Afro": "Afro", "acc.Pork pie hat": "Pork pie hat", "acc.Headphones": "Headphones",
        "acc.Cowboy hat": "Cowboy hat", "acc.Rasta beanie": "Rasta beanie", "acc.Backwards cap": "Backwards cap",
        "acc.Mohawk": "Mohawk", "acc.Gold snapback": "Gold snapback", "acc.Powdered wig": "Powdered wig",
        "acc.Bucket hat": "Bucket hat", "acc.Propeller beanie": "Propeller beanie",
        "acc.Laurel wreath": "Laurel wreath", "acc.Halo": "Halo", "acc.Flower crown": "Flower crown",
        "acc.Fruit hat": "Fruit hat", "acc.Alien antennae": "Alien antennae", "acc.Clown nose": "Clown nose",
        "acc.Paint splatter": "Paint splatter", "acc.Cucumber slices": "Cucumber slices",
        "acc.Pizza bite": "Pizza bite", "acc.Party blower": "Party blower", "acc.Aviators": "Aviators",
        "acc.Star glasses": "Star glasses", "acc.Heart glasses": "Heart glasses",
        "acc.Handlebar moustache": "Handlebar moustache", "acc.Led shades": "Led shades",
        "acc.Wheat stalk": "Wheat stalk", "acc.Rasta shades": "Rasta shades", "acc.Bandana mask": "Bandana mask",
        "acc.Punk piercings": "Punk piercings", "acc.Gold grill": "Gold grill", "acc.Monocle": "Monocle",
        "acc.Round glasses": "Round glasses", "acc.Googly eyes": "Googly eyes", "acc.Headset mic": "Headset mic",
        "acc.Retro 3d glasses": "Retro 3d glasses", "acc.Cat eye glasses": "Cat eye glasses",
        "acc.Clown ruffle": "Clown ruffle", "acc.Painter smock": "Painter smock",
        "acc.Hawaiian shirt": "Hawaiian shirt", "acc.Chef apron": "Chef apron", "acc.Flower lei": "Flower lei",
        "acc.Leather jacket": "Leather jacket", "acc.Sequin jacket": "Sequin jacket", "acc.Choir robe": "Choir robe",
        "acc.Saxophone": "Saxophone", "acc.Glow sticks": "Glow sticks", "acc.Flannel shirt": "Flannel shirt",
        "acc.Rasta scarf": "Rasta scarf", "acc.Hoodie": "Hoodie", "acc.Studded vest": "Studded vest",
        "acc.Gold chain": "Gold chain", "acc.Tuxedo": "Tuxedo", "acc.Cardigan": "Cardigan",
        "acc.Rain poncho": "Rain poncho", "acc.Boombox": "Boombox", "acc.Tie dye tee": "Tie dye tee",
        "acc.Band tee": "Band tee", "acc.Acoustic guitar": "Acoustic guitar",
        "pet.reset": "Reset", "pet.surprise": "Surprise me",
        "pet.image": "Your festival pet",
        "pet.hint": "*Pick a preset or move a slider: your pet dresses up to match.*",
        "pet.chart_tab": "Taste chart", "pet.card_tab": "Shareable card",
        "pet.card": "Your card: download it with the arrow",
        # text the server makes (pet explanation, chart, card, notes, errors): in the session's language
        **WORDS,
        **SUMMARY_WORDS,
        "pet.move_slider": "*Move a slider to tell your pet what you like!*",
        "avatar.kind_ai": "AI-generated", "avatar.kind_instant": "instant cartoon filter, no AI image model",
        "avatar.tap_another": "Tap another face on your photo, then make the avatar again, to choose that person.",
        "avatar.prompt": "Prompt", "avatar.progress": "{stage}: step {step} of {total}",
        "stage.base": "base", "stage.refiner": "refiner", "stage.turbo": "turbo", "stage.stylize": "stylize",
        "avatar.missing_intro": "Not available on this machine (the staff can add them):",
        "avatar.missing_reason": "They need model files or a graphics card that this machine does not have.",
        "carousel.note": ("**AI-edited**: lighting and colours adjusted by relive's fusion network. Drag the slider: "
                          "left = plain cut-and-paste, right = fused."),
        "album.progress": "{title} ({done} of {total})", "album.own_photo": "My festival photo",
        "album.zip_all": "Everything in one zip", "album.pet_card": "My pet card",
        "album.avatar_file": "My avatar",
        "qr.unreachable": ("**For the staff:** phones cannot open {url} (this machine's own address). Set "
                           "RELIVE_PUBLIC_URL to the kiosk's network address and restart."),
        "error.title": "Let's fix that",
        "error.consent": "Please tick the consent box first: nothing is done with your photo without it.",
        "error.photo": "Take a photo with the webcam or upload one (JPEG, PNG or WebP) first.",
        "error.avatar": ("Make your avatar in the Avatar tab first, or upload a photo of yourself or a PNG cut-out "
                         "here."),
        "error.scene": "Choose a festival from the gallery, or upload your own festival photo.",
        "error.unexpected": "Something went wrong on our side. Please try again; if it happens again, ask the staff.",
        "error.detail": "Details: {detail}",
        "error.staff": "This part of relive is not working on this machine right now. Please ask the staff.",
        "common.complete": "Complete",
        # Avatar tab
        "avatar.consent": ("I agree that relive uses my photo to make my avatar. The photo is only kept in memory "
                           "while the avatar is made and is deleted with the result."),
        "avatar.photo": "Your photo",
        "avatar.examples": "Or try an example photo",
        "avatar.take_photo": "Take my photo (3-2-1)",
        "field.gender": "Describe me as", "field.age_group": "Age group", "field.skin_tone": "Skin tone",
        "attr.woman": "woman", "attr.man": "man", "attr.person": "person",
        "attr.prefer not to say": "prefer not to say",
        "attr.child": "child", "attr.teen": "teen", "attr.young adult": "young adult", "attr.adult": "adult",
        "attr.senior": "senior",
        "attr.light": "light", "attr.medium-light": "medium-light", "attr.medium": "medium",
        "attr.medium-dark": "medium-dark", "attr.dark": "dark",
        "avatar.generator": "Generator",
        "gen.sdxl": "SDXL base + refiner (best; GPU)", "gen.sdxl-fast": "SDXL-Turbo (fast preview)",
        "gen.tiny": "tiny (test)", "gen.instant": "instant (offline cartoon, no AI model)",
        "avatar.style": "Style", "avatar.style_info": "instant: four offline looks; AI generators: every style",
        "style.anime": "Anime (cel-shaded)", "style.comic": "Comic book", "style.watercolor": "Watercolor",
        "style.3d-toy": "3D toy figure", "style.pixel-art": "Pixel art",
        "style.sketch": "Ink sketch", "style.pop-art": "Pop-art poster", "style.painted": "Painted",
        "avatar.missing": "Why are some generators missing?",
        "avatar.seed": "Seed", "avatar.new_seed": "New seed", "avatar.backdrop": "Genre backdrop",
        "avatar.make": "Make my avatar",
        "avatar.result": "Your avatar (see below: AI-generated or instant filter)",
        "avatar.hint": "*Your avatar wears your two favourite genres from the Pet tab.*",
        "avatar.suggest": "Suggest from my photo (you can change it)",
        # Carousel tab
        "carousel.avatar": "Your avatar: from the Avatar tab, or upload a photo or PNG cut-out",
        "carousel.examples": "Or try an example avatar",
        "carousel.gallery": "Choose a festival",
        "carousel.upload": "Upload your own festival photo",
        "carousel.x": "Left ↔ right", "carousel.y": "Far ↔ near", "carousel.size": "Size",
        "carousel.shadow": "Soft shadow under the feet",
        "carousel.fuse": "Fuse me in",
        "carousel.stage": "Tap where your feet go",
        "carousel.result": "Before ↔ after (AI-edited)",
        "carousel.hint": "*Choose a festival, tap where you stand, then **Fuse me in**.*",
        "carousel.unavailable": ("**The fusion network is not available on this machine, so fusing will not work.** "
                                 "Please ask the staff."),
        "bg.main-stage": "Main stage: lasers & confetti", "bg.sunset-crowd": "Sunset over the crowd",
        "bg.festival-gate": "Festival gate", "bg.silent-disco": "Silent disco under UV",
        "bg.fairground": "Fairground wheel at dusk", "bg.food-trucks": "Food trucks & fairy lights",
        "bg.campsite-dawn": "Campsite at dawn", "bg.rainy-mud": "Rain, mud & umbrellas",
        "bg.beach-night": "Beach stage at night", "bg.stage-lights": "Stage lights", "bg.tent-field": "Field of tents",
        "album.title": "### Memory album\nYour avatar in several festivals at once, to keep.",
        "album.picks": "Festivals in the album",
        "album.make": "Make my memory album",
        "album.gallery": "Your memory album (AI-edited)",
        "album.zip": "Download the whole album (zip)",
        "album.qr": "**Scan with your phone to take your album home**",
        "album.qr_hint": ("*Point your phone's camera at the code and open the link: your album downloads straight "
                          "to your phone. The link works for {minutes} minutes.*"),
        # kiosk overlays (shown by the page script)
        "idle.title": "Still there?",
        "idle.body": "Touch the screen to keep going. Starting over in",
        "countdown.smile": "Smile!",
        "countdown.no_camera": "No camera found: upload a photo instead.",
        "webcam.access": "Click to Access Webcam",  # Gradio's own words (not translatable there): the script swaps them
        # the phone page behind the QR code
        "souvenir.title": "Your relive souvenirs",
        "souvenir.intro": "Tap to save your festival album on this phone.",
        "souvenir.download": "Download",
        "souvenir.expires": "This link stops working {minutes} minutes after the album was made; the files are "
                            "then deleted.",
    },
    "ca": {
        "app.title": "# relive\nEls teus gustos musicals, convertits en records del festival.",
        "app.start_over": "Torna a començar",
        "step.pet": "Mascota", "step.avatar": "Avatar", "step.carousel": "Carrusel", "step.aria": "Passos",
        "tab.pet": "1 · Mascota", "tab.avatar": "2 · Avatar", "tab.carousel": "3 · Carrusel",
        "next.pet": "Següent: fes el meu avatar →", "next.avatar": "Següent: posa'm en un festival →",
        "privacy.title": "Privadesa: què passa amb la teva foto",
        "privacy.body": (
            "- **La teva foto** només serveix per fer el teu avatar, i només si marques la casella de consentiment. "
            "No es guarda després, no va a cap base de dades i no s'envia enlloc.\n"
            "- **Tot el que facis** (foto, mascota, avatar, àlbum) s'esborra d'aquest aparell com a molt tard "
            "**{minutes} minuts** després de fer-ho. Els fitxers de l'àlbum s'esborren tan bon punt prems "
            "*Torna a començar* o la pantalla es reinicia, tret que te'ls hagis endut amb el codi QR.\n"
            "- **L'enllaç per al mòbil** (codi QR) és secret i deixa de funcionar al cap de {minutes} minuts.\n"
            "- **Els registres** no guarden res de tu: ni fotos, ni noms, ni enllaços."),
        "pet.creature": "Tria la teva criatura",
        "creature.Cosmo the cat": "El gat Cosmo", "creature.Bruno the bear": "L'os Bruno",
        "creature.Pip the bunny": "El conill Pip", "creature.Luna the axolotl": "L'axolot Luna",
        "preset.Rocker": "Rocker", "preset.Jazz cat": "Gat jazzer", "preset.Raver": "Raver",
        "preset.Reggae sunshine": "Sol de reggae", "preset.Hip-hop head": "Cap de hip-hop",
        "preset.Folk wanderer": "Rodamón folk", "preset.Pop star": "Estrella del pop",
        "preset.Culture vulture": "Devorador de cultura",
        "group.Guitars": "**Guitarres**", "group.Beats & bass": "**Ritmes i baixos**",
        "group.Voices & grooves": "**Veus i groove**", "group.Festival life": "**Vida de festival**",
        "genre.Comedy": "Comèdia", "genre.Art": "Art", "genre.Chill": "Chill", "genre.Food": "Menjar",
        "genre.Social": "Social", "genre.Rock": "Rock", "genre.Pop": "Pop", "genre.Soul": "Soul", "genre.Jazz": "Jazz",
        "genre.Electronic": "Electrònica", "genre.Folk": "Folk", "genre.Reggae": "Reggae", "genre.Hip-hop": "Hip-hop",
        "genre.Punk": "Punk", "genre.Rap": "Rap", "genre.Classical": "Clàssica", "genre.Indie": "Indie",
        "genre.Other": "Altres",
        "pet.swap": "Canvia un accessori",
        "slot.Head": "Cap", "slot.Face": "Cara", "slot.Torso": "Cos",
        "pet.auto": "automàtic (el que encaixa més)", "pet.nothing": "res",
        "acc.Jester hat": "Barret de bufó", "acc.Beret": "Boina", "acc.Sun hat": "Barret de sol",
        "acc.Chef hat": "Barret de xef", "acc.Party hat": "Barret de festa", "acc.Devil horns": "Banyes de dimoni",
        "acc.Pop tiara": "Diadema pop", "acc.Afro": "Afro", "acc.Pork pie hat": "Barret pork pie",
        "acc.Headphones": "Auriculars", "acc.Cowboy hat": "Barret de cowboy", "acc.Rasta beanie": "Gorra rasta",
        "acc.Backwards cap": "Gorra del revés", "acc.Mohawk": "Cresta", "acc.Gold snapback": "Gorra daurada",
        "acc.Powdered wig": "Perruca empolvada", "acc.Bucket hat": "Barret de pescador",
        "acc.Propeller beanie": "Gorra d'hèlix", "acc.Laurel wreath": "Corona de llorer", "acc.Halo": "Aurèola",
        "acc.Flower crown": "Corona de flors", "acc.Fruit hat": "Barret de fruita",
        "acc.Alien antennae": "Antenes d'extraterrestre", "acc.Clown nose": "Nas de pallasso",
        "acc.Paint splatter": "Esquitxos de pintura", "acc.Cucumber slices": "Rodanxes de cogombre",
        "acc.Pizza bite": "Mos de pizza", "acc.Party blower": "Espanta-sogres", "acc.Aviators": "Ulleres d'aviador",
        "acc.Star glasses": "Ulleres d'estrella", "acc.Heart glasses": "Ulleres de cor",
        "acc.Handlebar moustache": "Bigoti de manillar", "acc.Led shades": "Ulleres LED",
        "acc.Wheat stalk": "Espiga de blat", "acc.Rasta shades": "Ulleres de sol rasta",
        "acc.Bandana mask": "Mocador a la cara", "acc.Punk piercings": "Pírcings punk",
        "acc.Gold grill": "Fundes daurades", "acc.Monocle": "Monocle", "acc.Round glasses": "Ulleres rodones",
        "acc.Googly eyes": "Ulls saltarins", "acc.Headset mic": "Micròfon de diadema",
        "acc.Retro 3d glasses": "Ulleres 3D retro", "acc.Cat eye glasses": "Ulleres d'ull de gat",
        "acc.Clown ruffle": "Gorgera de pallasso", "acc.Painter smock": "Bata de pintor",
        "acc.Hawaiian shirt": "Camisa hawaiana", "acc.Chef apron": "Davantal de xef",
        "acc.Flower lei": "Collar de flors", "acc.Leather jacket": "Jaqueta de cuir",
        "acc.Sequin jacket": "Jaqueta de lluentons", "acc.Choir robe": "Túnica de cor", "acc.Saxophone": "Saxòfon",
        "acc.Glow sticks": "Barres lluminoses", "acc.Flannel shirt": "Camisa de franel·la",
        "acc.Rasta scarf": "Bufanda rasta", "acc.Hoodie": "Dessuadora amb caputxa",
        "acc.Studded vest": "Armilla amb reblons", "acc.Gold chain": "Cadena d'or", "acc.Tuxedo": "Esmòquing",
        "acc.Cardigan": "Jaqueta de punt", "acc.Rain poncho": "Poncho de pluja", "acc.Boombox": "Radiocasset",
        "acc.Tie dye tee": "Samarreta tie-dye", "acc.Band tee": "Samarreta de grup",
        "acc.Acoustic guitar": "Guitarra acústica",
        "pet.reset": "Reinicia", "pet.surprise": "Sorprèn-me",
        "pet.image": "La teva mascota del festival",
        "pet.hint": "*Tria un perfil o mou un control: la teva mascota s'hi vesteix a joc.*",
        "pet.chart_tab": "Gràfic de gustos", "pet.card_tab": "Targeta per compartir",
        "pet.card": "La teva targeta: descarrega-la amb la fletxa",
        "explain.nothing": "{slot}: res, com has demanat",
        "explain.line": "{slot}: {name} — {match} d'afinitat, {because}",
        "explain.about": "tot {genres}", "explain.love": "; a tu també t'agrada {genres}",
        "chart.you": "tu", "chart.title": "El teu gust vs. la roba de la teva mascota",
        "card.title": "La meva mascota del festival", "card.into": "m'agrada {genres}",
        "card.everything": "una mica de tot", "card.made_with": "fet amb relive",
        "pet.move_slider": "*Mou un control lliscant per dir a la teva mascota què t'agrada!*",
        "seen.suggested": "suggerit per la teva foto", "seen.you_chose": "has triat",
        "seen.change": "canvia el que no sigui correcte", "seen.nothing": "no es fa servir res de la persona",
        "avatar.kind_ai": "Generat amb IA", "avatar.kind_instant": "filtre de dibuix instantani, sense model d'IA",
        "avatar.tap_another": "Toca una altra cara de la foto i torna a fer l'avatar per triar aquesta persona.",
        "avatar.prompt": "Indicació", "avatar.progress": "{stage}: pas {step} de {total}",
        "stage.base": "esbós", "stage.refiner": "acabat", "stage.turbo": "turbo", "stage.stylize": "dibuix",
        "avatar.missing_intro": "No disponibles en aquesta màquina (el personal els pot afegir):",
        "avatar.missing_reason": "Necessiten fitxers de model o una targeta gràfica que aquesta màquina no té.",
        "carousel.note": ("**Editat amb IA**: la llum i els colors els ajusta la xarxa de fusió de relive. Arrossega "
                          "el control: esquerra = retallar i enganxar, dreta = fusionat."),
        "album.progress": "{title} ({done} de {total})", "album.own_photo": "La meva foto del festival",
        "album.zip_all": "Tot en un zip", "album.pet_card": "La targeta de la meva mascota",
        "album.avatar_file": "El meu avatar",
        "qr.unreachable": ("**Per al personal:** els mòbils no poden obrir {url} (l'adreça pròpia d'aquesta "
                           "màquina). Poseu a RELIVE_PUBLIC_URL l'adreça de xarxa del quiosc i reinicieu."),
        "error.title": "Arreglem-ho",
        "error.consent": "Primer marca la casella de consentiment: sense això no es fa res amb la teva foto.",
        "error.photo": "Primer fes una foto amb la càmera o puja'n una (JPEG, PNG o WebP).",
        "error.avatar": ("Primer fes el teu avatar a la pestanya Avatar, o puja aquí una foto teva o un retall "
                         "PNG."),
        "error.scene": "Tria un festival de la galeria, o puja la teva pròpia foto d'un festival.",
        "error.unexpected": "Alguna cosa ha fallat per part nostra. Torna-ho a provar; si torna a passar, avisa el personal.",
        "error.detail": "Detalls: {detail}",
        "error.staff": "Aquesta part de relive ara no funciona en aquesta màquina. Demana ajuda al personal.",
        "common.complete": "Fet",
        "avatar.consent": ("Accepto que relive faci servir la meva foto per fer el meu avatar. La foto només es "
                           "guarda a la memòria mentre es fa l'avatar i s'esborra amb el resultat."),
        "avatar.photo": "La teva foto",
        "avatar.examples": "O prova amb una foto d'exemple",
        "avatar.take_photo": "Fes-me la foto (3-2-1)",
        "field.gender": "Descriu-me com a", "field.age_group": "Edat", "field.skin_tone": "To de pell",
        "attr.woman": "dona", "attr.man": "home", "attr.person": "persona",
        "attr.prefer not to say": "prefereixo no dir-ho",
        "attr.child": "infant", "attr.teen": "adolescent", "attr.young adult": "jove", "attr.adult": "adult",
        "attr.senior": "gran",
        "attr.light": "clar", "attr.medium-light": "mitjà clar", "attr.medium": "mitjà",
        "attr.medium-dark": "mitjà fosc", "attr.dark": "fosc",
        "avatar.generator": "Generador",
        "gen.sdxl": "SDXL base + refinador (el millor; GPU)", "gen.sdxl-fast": "SDXL-Turbo (vista prèvia ràpida)",
        "gen.tiny": "tiny (prova)", "gen.instant": "instantani (dibuix sense connexió, sense model d'IA)",
        "avatar.style": "Estil", "avatar.style_info": "instantani: quatre estils sense connexió; generadors d'IA: tots",
        "style.anime": "Anime (cel-shading)", "style.comic": "Còmic", "style.watercolor": "Aquarel·la",
        "style.3d-toy": "Figureta 3D", "style.pixel-art": "Pixel art",
        "style.sketch": "Esbós a tinta", "style.pop-art": "Cartell pop-art", "style.painted": "Pintat",
        "avatar.missing": "Per què falten alguns generadors?",
        "avatar.seed": "Llavor", "avatar.new_seed": "Nova llavor", "avatar.backdrop": "Fons del gènere",
        "avatar.make": "Fes el meu avatar",
        "avatar.result": "El teu avatar (mira a sota: generat per IA o filtre instantani)",
        "avatar.hint": "*El teu avatar porta els teus dos gèneres preferits de la pestanya Mascota.*",
        "avatar.suggest": "Suggereix-ho a partir de la meva foto (ho pots canviar)",
        "carousel.avatar": "El teu avatar: de la pestanya Avatar, o puja una foto o un retall PNG",
        "carousel.examples": "O prova un avatar d'exemple",
        "carousel.gallery": "Tria un festival",
        "carousel.upload": "Puja la teva pròpia foto de festival",
        "carousel.x": "Esquerra ↔ dreta", "carousel.y": "Lluny ↔ a prop", "carousel.size": "Mida",
        "carousel.shadow": "Ombra suau sota els peus",
        "carousel.fuse": "Posa-m'hi",
        "carousel.stage": "Toca on van els teus peus",
        "carousel.result": "Abans ↔ després (editat amb IA)",
        "carousel.hint": "*Tria un festival, toca on et vols posar i prem **Posa-m'hi**.*",
        "carousel.unavailable": ("**La xarxa de fusió no està disponible en aquesta màquina, així que fusionar no "
                                 "funcionarà.** Demana ajuda al personal."),
        "bg.main-stage": "Escenari principal: làsers i confeti", "bg.sunset-crowd": "Posta de sol sobre el públic",
        "bg.festival-gate": "Entrada del festival", "bg.silent-disco": "Silent disco amb llum UV",
        "bg.fairground": "Sínia al capvespre", "bg.food-trucks": "Food trucks i garlandes de llums",
        "bg.campsite-dawn": "Càmping a l'alba", "bg.rainy-mud": "Pluja, fang i paraigües",
        "bg.beach-night": "Escenari de platja de nit", "bg.stage-lights": "Llums d'escenari",
        "bg.tent-field": "Camp de tendes",
        "album.title": "### Àlbum de records\nEl teu avatar en uns quants festivals alhora, per guardar.",
        "album.picks": "Festivals de l'àlbum",
        "album.make": "Fes el meu àlbum de records",
        "album.gallery": "El teu àlbum de records (editat amb IA)",
        "album.zip": "Descarrega tot l'àlbum (zip)",
        "album.qr": "**Escaneja-ho amb el mòbil per endur-te l'àlbum**",
        "album.qr_hint": ("*Apunta la càmera del mòbil al codi i obre l'enllaç: l'àlbum es descarrega "
                          "directament al mòbil. L'enllaç funciona durant {minutes} minuts.*"),
        "idle.title": "Encara hi ets?",
        "idle.body": "Toca la pantalla per continuar. Tornem a començar d'aquí a",
        "countdown.smile": "Somriu!",
        "countdown.no_camera": "No s'ha trobat cap càmera: puja una foto.",
        "webcam.access": "Toca aquí per obrir la càmera",
        "souvenir.title": "Els teus records de relive",
        "souvenir.intro": "Toca per guardar l'àlbum del festival en aquest mòbil.",
        "souvenir.download": "Descarrega",
        "souvenir.expires": "Aquest enllaç deixa de funcionar {minutes} minuts després de fer l'àlbum; llavors els "
                            "fitxers s'esborren.",
    },
    "es": {
        "app.title": "# relive\nTus gustos musicales, convertidos en recuerdos del festival.",
        "app.start_over": "Empezar de nuevo",
        "step.pet": "Mascota", "step.avatar": "Avatar", "step.carousel": "Carrusel", "step.aria": "Pasos",
        "tab.pet": "1 · Mascota", "tab.avatar": "2 · Avatar", "tab.carousel": "3 · Carrusel",
        "next.pet": "Siguiente: haz mi avatar →", "next.avatar": "Siguiente: ponme en un festival →",
        "privacy.title": "Privacidad: qué pasa con tu foto",
        "privacy.body": (
            "- **Tu foto** solo sirve para hacer tu avatar, y solo si marcas la casilla de consentimiento. No se "
            "guarda después, no va a ninguna base de datos y no se envía a ningún sitio.\n"
            "- **Todo lo que hagas** (foto, mascota, avatar, álbum) se borra de este equipo como muy tarde "
            "**{minutes} minutos** después de hacerlo. Los archivos del álbum se borran en cuanto pulsas "
            "*Empezar de nuevo* o la pantalla se reinicia, salvo que te los hayas llevado con el código QR.\n"
            "- **El enlace para el móvil** (código QR) es secreto y deja de funcionar a los {minutes} minutos.\n"
            "- **Los registros** no guardan nada sobre ti: ni fotos, ni nombres, ni enlaces."),
        "pet.creature": "Elige tu criatura",
        "creature.Cosmo the cat": "El gato Cosmo", "creature.Bruno the bear": "El oso Bruno",
        "creature.Pip the bunny": "El conejo Pip", "creature.Luna the axolotl": "El ajolote Luna",
        "preset.Rocker": "Rockero", "preset.Jazz cat": "Gato jazzero", "preset.Raver": "Raver",
        "preset.Reggae sunshine": "Sol de reggae", "preset.Hip-hop head": "Cabeza de hip-hop",
        "preset.Folk wanderer": "Trotamundos folk", "preset.Pop star": "Estrella del pop",
        "preset.Culture vulture": "Devorador de cultura",
        "group.Guitars": "**Guitarras**", "group.Beats & bass": "**Ritmos y bajos**",
        "group.Voices & grooves": "**Voces y groove**", "group.Festival life": "**Vida de festival**",
        "genre.Comedy": "Comedia", "genre.Art": "Arte", "genre.Chill": "Chill", "genre.Food": "Comida",
        "genre.Social": "Social", "genre.Rock": "Rock", "genre.Pop": "Pop", "genre.Soul": "Soul", "genre.Jazz": "Jazz",
        "genre.Electronic": "Electrónica", "genre.Folk": "Folk", "genre.Reggae": "Reggae", "genre.Hip-hop": "Hip-hop",
        "genre.Punk": "Punk", "genre.Rap": "Rap", "genre.Classical": "Clásica", "genre.Indie": "Indie",
        "genre.Other": "Otros",
        "pet.swap": "Cambia un accesorio",
        "slot.Head": "Cabeza", "slot.Face": "Cara", "slot.Torso": "Cuerpo",
        "pet.auto": "automático (el que mejor encaja)", "pet.nothing": "nada",
        "acc.Jester hat": "Gorro de bufón", "acc.Beret": "Boina", "acc.Sun hat": "Pamela",
        "acc.Chef hat": "Gorro de chef", "acc.Party hat": "Gorro de fiesta", "acc.Devil horns": "Cuernos de diablo",
        "acc.Pop tiara": "Tiara pop", "acc.Afro": "Afro", "acc.Pork pie hat": "Sombrero pork pie",
        "acc.Headphones": "Auriculares", "acc.Cowboy hat": "Sombrero vaquero", "acc.Rasta beanie": "Gorro rasta",
        "acc.Backwards cap": "Gorra del revés", "acc.Mohawk": "Cresta", "acc.Gold snapback": "Gorra dorada",
        "acc.Powdered wig": "Peluca empolvada", "acc.Bucket hat": "Gorro de pescador",
        "acc.Propeller beanie": "Gorro de hélice", "acc.Laurel wreath": "Corona de laurel", "acc.Halo": "Aureola",
        "acc.Flower crown": "Corona de flores", "acc.Fruit hat": "Sombrero de frutas",
        "acc.Alien antennae": "Antenas de extraterrestre", "acc.Clown nose": "Nariz de payaso",
        "acc.Paint splatter": "Salpicaduras de pintura", "acc.Cucumber slices": "Rodajas de pepino",
        "acc.Pizza bite": "Bocado de pizza", "acc.Party blower": "Matasuegras", "acc.Aviators": "Gafas de aviador",
        "acc.Star glasses": "Gafas de estrella", "acc.Heart glasses": "Gafas de corazón",
        "acc.Handlebar moustache": "Bigote de manillar", "acc.Led shades": "Gafas LED",
        "acc.Wheat stalk": "Espiga de trigo", "acc.Rasta shades": "Gafas de sol rasta",
        "acc.Bandana mask": "Pañuelo en la cara", "acc.Punk piercings": "Piercings punk",
        "acc.Gold grill": "Fundas doradas", "acc.Monocle": "Monóculo", "acc.Round glasses": "Gafas redondas",
        "acc.Googly eyes": "Ojos saltones", "acc.Headset mic": "Micrófono de diadema",
        "acc.Retro 3d glasses": "Gafas 3D retro", "acc.Cat eye glasses": "Gafas de ojo de gato",
        "acc.Clown ruffle": "Gorguera de payaso", "acc.Painter smock": "Bata de pintor",
        "acc.Hawaiian shirt": "Camisa hawaiana", "acc.Chef apron": "Delantal de chef",
        "acc.Flower lei": "Collar de flores", "acc.Leather jacket": "Chaqueta de cuero",
        "acc.Sequin jacket": "Chaqueta de lentejuelas", "acc.Choir robe": "Túnica de coro",
        "acc.Saxophone": "Saxofón", "acc.Glow sticks": "Barras luminosas", "acc.Flannel shirt": "Camisa de franela",
        "acc.Rasta scarf": "Bufanda rasta", "acc.Hoodie": "Sudadera con capucha",
        "acc.Studded vest": "Chaleco con tachuelas", "acc.Gold chain": "Cadena de oro", "acc.Tuxedo": "Esmoquin",
        "acc.Cardigan": "Rebeca", "acc.Rain poncho": "Poncho de lluvia", "acc.Boombox": "Radiocasete",
        "acc.Tie dye tee": "Camiseta tie-dye", "acc.Band tee": "Camiseta de grupo",
        "acc.Acoustic guitar": "Guitarra acústica",
        "pet.reset": "Reiniciar", "pet.surprise": "Sorpréndeme",
        "pet.image": "Tu mascota del festival",
        "pet.hint": "*Elige un perfil o mueve un control: tu mascota se viste a juego.*",
        "pet.chart_tab": "Gráfico de gustos", "pet.card_tab": "Tarjeta para compartir",
        "pet.card": "Tu tarjeta: descárgala con la flecha",
        "explain.nothing": "{slot}: nada, como has pedido",
        "explain.line": "{slot}: {name} — {match} de afinidad, {because}",
        "explain.about": "todo {genres}", "explain.love": "; a ti también te gusta {genres}",
        "chart.you": "tú", "chart.title": "Tu gusto vs. la ropa de tu mascota",
        "card.title": "Mi mascota del festival", "card.into": "me gusta {genres}",
        "card.everything": "un poco de todo", "card.made_with": "hecho con relive",
        "pet.move_slider": "*¡Mueve un control deslizante para decirle a tu mascota qué te gusta!*",
        "seen.suggested": "sugerido por tu foto", "seen.you_chose": "has elegido",
        "seen.change": "cambia lo que no sea correcto", "seen.nothing": "no se usa nada de la persona",
        "avatar.kind_ai": "Generado con IA", "avatar.kind_instant": "filtro de dibujo instantáneo, sin modelo de IA",
        "avatar.tap_another": "Toca otra cara de la foto y vuelve a hacer el avatar para elegir a esa persona.",
        "avatar.prompt": "Indicación", "avatar.progress": "{stage}: paso {step} de {total}",
        "stage.base": "boceto", "stage.refiner": "acabado", "stage.turbo": "turbo", "stage.stylize": "dibujo",
        "avatar.missing_intro": "No disponibles en esta máquina (el personal puede añadirlos):",
        "avatar.missing_reason": "Necesitan archivos de modelo o una tarjeta gráfica que esta máquina no tiene.",
        "carousel.note": ("**Editado con IA**: la luz y los colores los ajusta la red de fusión de relive. Arrastra "
                          "el control: izquierda = recortar y pegar, derecha = fusionado."),
        "album.progress": "{title} ({done} de {total})", "album.own_photo": "Mi foto del festival",
        "album.zip_all": "Todo en un zip", "album.pet_card": "La tarjeta de mi mascota",
        "album.avatar_file": "Mi avatar",
        "qr.unreachable": ("**Para el personal:** los móviles no pueden abrir {url} (la dirección propia de esta "
                           "máquina). Poned en RELIVE_PUBLIC_URL la dirección de red del quiosco y reiniciad."),
        "error.title": "Vamos a arreglarlo",
        "error.consent": "Primero marca la casilla de consentimiento: sin ella no se hace nada con tu foto.",
        "error.photo": "Primero haz una foto con la cámara o sube una (JPEG, PNG o WebP).",
        "error.avatar": ("Primero haz tu avatar en la pestaña Avatar, o sube aquí una foto tuya o un recorte "
                         "PNG."),
        "error.scene": "Elige un festival de la galería, o sube tu propia foto de un festival.",
        "error.unexpected": "Algo ha fallado por nuestra parte. Vuelve a intentarlo; si vuelve a pasar, avisa al personal.",
        "error.detail": "Detalles: {detail}",
        "error.staff": "Esta parte de relive no funciona ahora en esta máquina. Pide ayuda al personal.",
        "common.complete": "Hecho",
        "avatar.consent": ("Acepto que relive use mi foto para hacer mi avatar. La foto solo se guarda en memoria "
                           "mientras se hace el avatar y se borra con el resultado."),
        "avatar.photo": "Tu foto",
        "avatar.examples": "O prueba con una foto de ejemplo",
        "avatar.take_photo": "Hazme la foto (3-2-1)",
        "field.gender": "Descríbeme como", "field.age_group": "Edad", "field.skin_tone": "Tono de piel",
        "attr.woman": "mujer", "attr.man": "hombre", "attr.person": "persona",
        "attr.prefer not to say": "prefiero no decirlo",
        "attr.child": "niño/a", "attr.teen": "adolescente", "attr.young adult": "joven", "attr.adult": "adulto/a",
        "attr.senior": "mayor",
        "attr.light": "claro", "attr.medium-light": "medio claro", "attr.medium": "medio",
        "attr.medium-dark": "medio oscuro", "attr.dark": "oscuro",
        "avatar.generator": "Generador",
        "gen.sdxl": "SDXL base + refinador (el mejor; GPU)", "gen.sdxl-fast": "SDXL-Turbo (vista previa rápida)",
        "gen.tiny": "tiny (prueba)", "gen.instant": "instantáneo (dibujo sin conexión, sin modelo de IA)",
        "avatar.style": "Estilo", "avatar.style_info": "instantáneo: cuatro estilos sin conexión; generadores de IA: todos",
        "style.anime": "Anime (cel-shading)", "style.comic": "Cómic", "style.watercolor": "Acuarela",
        "style.3d-toy": "Figurita 3D", "style.pixel-art": "Pixel art",
        "style.sketch": "Boceto a tinta", "style.pop-art": "Póster pop-art", "style.painted": "Pintado",
        "avatar.missing": "¿Por qué faltan algunos generadores?",
        "avatar.seed": "Semilla", "avatar.new_seed": "Nueva semilla", "avatar.backdrop": "Fondo del género",
        "avatar.make": "Haz mi avatar",
        "avatar.result": "Tu avatar (mira abajo: generado por IA o filtro instantáneo)",
        "avatar.hint": "*Tu avatar lleva tus dos géneros favoritos de la pestaña Mascota.*",
        "avatar.suggest": "Sugiérelo a partir de mi foto (puedes cambiarlo)",
        "carousel.avatar": "Tu avatar: de la pestaña Avatar, o sube una foto o un recorte PNG",
        "carousel.examples": "O prueba un avatar de ejemplo",
        "carousel.gallery": "Elige un festival",
        "carousel.upload": "Sube tu propia foto de festival",
        "carousel.x": "Izquierda ↔ derecha", "carousel.y": "Lejos ↔ cerca", "carousel.size": "Tamaño",
        "carousel.shadow": "Sombra suave bajo los pies",
        "carousel.fuse": "Ponme dentro",
        "carousel.stage": "Toca donde van tus pies",
        "carousel.result": "Antes ↔ después (editado con IA)",
        "carousel.hint": "*Elige un festival, toca donde quieres estar y pulsa **Ponme dentro**.*",
        "carousel.unavailable": ("**La red de fusión no está disponible en esta máquina, así que fusionar no "
                                 "funcionará.** Pide ayuda al personal."),
        "bg.main-stage": "Escenario principal: láseres y confeti", "bg.sunset-crowd": "Atardecer sobre el público",
        "bg.festival-gate": "Entrada del festival", "bg.silent-disco": "Silent disco con luz UV",
        "bg.fairground": "Noria al anochecer", "bg.food-trucks": "Food trucks y guirnaldas de luces",
        "bg.campsite-dawn": "Camping al amanecer", "bg.rainy-mud": "Lluvia, barro y paraguas",
        "bg.beach-night": "Escenario de playa de noche", "bg.stage-lights": "Luces de escenario",
        "bg.tent-field": "Campo de tiendas",
        "album.title": "### Álbum de recuerdos\nTu avatar en varios festivales a la vez, para guardar.",
        "album.picks": "Festivales del álbum",
        "album.make": "Haz mi álbum de recuerdos",
        "album.gallery": "Tu álbum de recuerdos (editado con IA)",
        "album.zip": "Descarga todo el álbum (zip)",
        "album.qr": "**Escanéalo con el móvil para llevarte el álbum**",
        "album.qr_hint": ("*Apunta la cámara del móvil al código y abre el enlace: el álbum se descarga "
                          "directamente en el móvil. El enlace funciona durante {minutes} minutos.*"),
        "idle.title": "¿Sigues ahí?",
        "idle.body": "Toca la pantalla para continuar. Empezamos de nuevo en",
        "countdown.smile": "¡Sonríe!",
        "countdown.no_camera": "No se ha encontrado ninguna cámara: sube una foto.",
        "webcam.access": "Toca aquí para abrir la cámara",
        "souvenir.title": "Tus recuerdos de relive",
        "souvenir.intro": "Toca para guardar el álbum del festival en este móvil.",
        "souvenir.download": "Descargar",
        "souvenir.expires": "Este enlace deja de funcionar {minutes} minutos después de hacer el álbum; entonces los "
                            "archivos se borran.",
    },
}

# The library's own texts (errors it raises, notes it adds to results: see relive/messages.py), by their English
# template. A translation may leave out a parameter that only helps the staff (an error's inner detail), never add
# one; ``tests/test_i18n.py`` finds every template in the library's source and checks each has both translations.
MESSAGES: dict[str, dict[str, str]] = {
    "ca": {
        # notes on a result
        "{count} people found; the avatar shows one of them":
            "S'han trobat {count} persones; l'avatar en mostra una",
        "{count} faces found; the largest one was used": "S'han trobat {count} cares; s'ha fet servir la més gran",
        "No face found, so the centre of the photo is used; face the camera in good light for a better crop":
            ("No s'ha trobat cap cara, així que es fa servir el centre de la foto; mira a la càmera amb bona llum "
             "per a un enquadrament millor"),
        "No face found, so nothing was guessed; choose how the avatar should look yourself":
            "No s'ha trobat cap cara, així que no s'ha endevinat res; tria tu com ha de ser l'avatar",
        "Face analysis is off; choose how the avatar should look yourself":
            "L'anàlisi de la cara està desactivada; tria tu com ha de ser l'avatar",
        "gender unclear from the photo; choose it yourself if you like":
            "a la foto no queda clar el gènere; tria'l tu si vols",
        "No person found to cut out, so the avatar is a round badge of the whole picture":
            "No s'ha trobat cap persona per retallar, així que l'avatar és una insígnia rodona de tota la imatge",
        "The {style} style needs an AI generator; the instant generator drew its {look} look":
            "L'estil {style} necessita un generador d'IA; el generador instantani ha dibuixat l'estil {look}",
        "the avatar at scale {scale:g} ({width}×{height} px) is larger than the {frame_w}×{frame_h} "
        "background; scaled down to fit (scale {fitted:.3g})":
            ("a l'escala {scale:g} ({width}×{height} px) l'avatar és més gran que el fons de {frame_w}×{frame_h}; "
             "s'ha reduït perquè hi càpiga (escala {fitted:.3g})"),
        "the background ({width}×{height}) is over {limit} px; scaled down to {new_w}×{new_h}":
            "el fons ({width}×{height}) fa més de {limit} px; s'ha reduït a {new_w}×{new_h}",
        # photos and pictures
        "the file": "el fitxer", "JPEG, PNG or WebP": "JPEG, PNG o WebP",
        "AI-edited · relive": "Editat amb IA · relive",
        "no extension": "sense extensió",
        "{name} is not an image relive can read; use {readable}":
            "{name} no és una imatge que relive pugui llegir; fes servir {readable}",
        "{name} is truncated or corrupt ({error}); save it again as {readable}":
            "{name} està incomplet o malmès; torna'l a desar com a {readable}",
        "{name} is {width}×{height}, over the {limit:,}-pixel limit; resize it first":
            "{name} fa {width}×{height}, més del límit de {limit:,} píxels; primer fes-la més petita",
        "{name} is far over the {limit:,}-pixel limit (a decompression bomb?)":
            "{name} supera de molt el límit de {limit:,} píxels; fes servir una foto més petita",
        "{name} is animated ({frames} frames); use a still photo ({readable})":
            "{name} és animada ({frames} fotogrames); fes servir una foto fixa ({readable})",
        "{name} is only {width}×{height}; use an image at least {side}×{side}":
            "{name} només fa {width}×{height}; fes servir una imatge d'almenys {side}×{side}",
        "no image file at {path!r}; check the path": "no hi ha cap imatge a {path!r}; comprova el camí",
        "the image holds NaN or infinite pixel values; save it as an 8-bit {readable}":
            "la imatge té píxels amb valors NaN o infinits; desa-la com a {readable} de 8 bits",
        "the image array holds NaN or infinite values": "la matriu de la imatge té valors NaN o infinits",
        "image arrays must be uint8 or float in [0, 1], got {dtype}":
            "les matrius d'imatge han de ser uint8 o float entre 0 i 1, no {dtype}",
        "an image array has shape (H, W), (H, W, 3) or (H, W, 4), got {shape}":
            "una matriu d'imatge té la forma (H, W), (H, W, 3) o (H, W, 4), no {shape}",
        "images are loaded as 'RGB' or 'RGBA', not {mode!r}":
            "les imatges es carreguen com a 'RGB' o 'RGBA', no {mode!r}",
        "expected an RGBA image with transparency, got mode {mode}":
            "calia una imatge RGBA amb transparència, i és en mode {mode}",
        "cannot save {path!r} as {suffix!r}; use .png, .jpg or .webp":
            "no es pot desar {path!r} com a {suffix!r}; fes servir .png, .jpg o .webp",
        "folder {path!r} does not exist; create it first": "la carpeta {path!r} no existeix; primer crea-la",
        "a mask must be uint8 (255 = foreground), bool or float in [0, 1], got {dtype}":
            "una màscara ha de ser uint8 (255 = primer pla), bool o float entre 0 i 1, no {dtype}",
        "the mask is {mask} but the image is {width}×{height}; segment this very image (or resize the mask to it)":
            ("la màscara fa {mask} però la imatge fa {width}×{height}; segmenta aquesta mateixa imatge (o ajusta-hi "
             "la màscara)"),
        "a mask is one channel (H, W), 255 = person; got shape {shape}":
            "una màscara té un sol canal (H, W), 255 = persona; té la forma {shape}",
        "feather={feather} is out of range; use 0 (hard edges) to 0.1 (very soft)":
            "feather={feather} és fora de l'interval; fes servir de 0 (vores dures) a 0,1 (molt suaus)",
        "size={size!r} is out of range; use a whole number of pixels from 16 to 4096":
            "size={size!r} és fora de l'interval; fes servir un nombre enter de píxels de 16 a 4096",
        "size={size!r} is out of range; use a whole number of pixels from 16 to 8192":
            "size={size!r} és fora de l'interval; fes servir un nombre enter de píxels de 16 a 8192",
        # the avatar
        "face {face} does not exist: {found} found; choose 0 to {last}":
            "la cara {face} no existeix: n'hi ha {found}; tria de 0 a {last}",
        "choose={choose!r} is neither a face number nor a point (x, y) on the photo":
            "choose={choose!r} no és ni un número de cara ni un punt (x, y) de la foto",
        "face box {box} is empty; give it as (left, top, right, bottom) in pixels":
            "el requadre de la cara {box} és buit; dona'l com a (esquerra, dalt, dreta, baix) en píxels",
        "face={face!r}: give a box (x, y, w, h), 'crop' or None":
            "face={face!r}: dona un requadre (x, y, w, h), 'crop' o None",
        "seed={seed!r} is not a whole number; use e.g. seed=0":
            "la llavor {seed!r} no és un nombre enter; fes servir, per exemple, 0",
        "seed={seed!r} is not usable; give a whole number ≥ 0":
            "la llavor {seed!r} no serveix; dona un nombre enter ≥ 0",
        "the essential prompt ({tokens} tokens) exceeds CLIP's {limit}; shorten the style lead or the person "
        "description":
            ("la indicació essencial ({tokens} tokens) passa del límit de CLIP ({limit}); escurça l'inici de l'estil "
             "o la descripció de la persona"),
        "the avatar must be a PIL RGBA cut-out (transparent around the person); make one with "
        "relive.backends.segmentation.remove_background":
            "l'avatar ha de ser un retall RGBA (transparent al voltant de la persona); torna a fer l'avatar",
        "the LoRA {path} cannot be read ({error}); check that it is a complete .safetensors file, or {fix}":
            "L'estil addicional (LoRA) d'aquesta màquina no es pot llegir; avisa el personal",
        "the LoRA {path} {problem} ({error}); {fix}":
            "L'estil addicional (LoRA) d'aquesta màquina no encaixa amb el model; avisa el personal",
        "the LoRA {path} holds no LoRA layers (its tensor names lack 'lora'): it may be a full model checkpoint, "
        "which relive does not load as a LoRA; {fix}":
            "L'estil addicional (LoRA) d'aquesta màquina no és un LoRA; avisa el personal",
        "the LoRA {path} has layers for the text encoders only; relive loads LoRAs into the UNet only (the refiner "
        "shares text_encoder_2), so it would change nothing; {fix}":
            "L'estil addicional (LoRA) d'aquesta màquina no canviaria res; avisa el personal",
        "the GPU ran out of memory; try the sdxl-fast generator (relive unloads the others first), or set "
        "RELIVE_CPU_OFFLOAD=1 (and RELIVE_VAE_TILING=1)":
            "la targeta gràfica s'ha quedat sense memòria; prova el generador SDXL-Turbo o demana ajuda al personal",
        "the {generator} generator needs about {needed:.1f} GiB of {where} ({dtype} weights + working memory) but "
        "{available:.1f} GiB is available; use the instant generator, free memory, or run on a GPU":
            ("el generador {generator} necessita uns {needed:.1f} GiB de memòria i ara només n'hi ha "
             "{available:.1f} GiB; fes servir el generador instantani"),
        # the carousel
        "no person found in that picture; upload a photo with one person clearly visible, or make your avatar in "
        "the Avatar tab first":
            ("no s'ha trobat cap persona en aquesta imatge; puja una foto on es vegi bé una persona, o fes primer el "
             "teu avatar a la pestanya Avatar"),
        "the avatar has no transparency (an RGB image or a fully opaque one); fuse needs an RGBA cut-out with a "
        "transparent background: make one with `relive avatar` or a background remover and save it as PNG":
            ("l'avatar no té transparència; cal un retall amb el fons transparent: fes el teu avatar a la pestanya "
             "Avatar o puja un retall PNG"),
        "the avatar is fully transparent; there is nothing to place":
            "l'avatar és del tot transparent; no hi ha res per col·locar",
        "the avatar lands entirely outside the background; choose another position":
            "l'avatar queda del tot fora del fons; tria una altra posició",
        "choose at least one festival background for the album": "tria almenys un festival per a l'àlbum",
        "feet position ({x:g}, {y:g}) must be relative, each between 0 and 1":
            "la posició dels peus ({x:g}, {y:g}) ha de ser relativa, cada valor entre 0 i 1",
        "position {text!r} is not X,Y (two numbers, the feet's pixel position)":
            "la posició {text!r} no és X,Y (dos nombres, el píxel dels peus)",
        "position {text!r} must be two finite numbers": "la posició {text!r} han de ser dos nombres finits",
        "position ({x:g}, {y:g}) is outside the {frame_w}×{frame_h} background: X must be 0–{frame_w} and Y "
        "0–{frame_h} (the pixel where the avatar's feet go)":
            ("la posició ({x:g}, {y:g}) és fora del fons de {frame_w}×{frame_h}: X ha de ser 0–{frame_w} i Y "
             "0–{frame_h} (el píxel on van els peus de l'avatar)"),
        "scale {scale!r} must be a positive number (the avatar's height as a fraction of the background's, e.g. 0.6)":
            ("l'escala {scale!r} ha de ser un nombre positiu (l'alçada de l'avatar com a fracció de la del fons, "
             "per exemple 0,6)"),
        "background {background}, avatar {avatar} and mask {mask} must be H×W×3, H×W×3 and H×W of the same size":
            ("el fons {background}, l'avatar {avatar} i la màscara {mask} han de ser H×W×3, H×W×3 i H×W de la "
             "mateixa mida"),
        "the front layer is {width}×{height} but the background is {frame_w}×{frame_h}; draw both again with "
        "`python tools/render_backgrounds.py`":
            "aquest fons de festival està mal instal·lat; avisa el personal",
        # genres and the pet
        "unknown genre {name!r}; valid genres: {valid}":
            "gènere desconegut {name!r}; els gèneres vàlids són: {valid}",
        "genre values must be {count} numbers in [0, 1] per user, got {values!r:.80}":
            "els valors de gènere han de ser {count} nombres entre 0 i 1 per persona, no {values!r:.80}",
        "a preference vector has {count} values (one per genre), got shape {shape}":
            "un vector de preferències té {count} valors (un per gènere), no la forma {shape}",
        "invalid genre values: {values}; every genre value must be a number in [0, 1]":
            "valors de gènere no vàlids: {values}; cada valor ha de ser un nombre entre 0 i 1",
        "genre {genre} is given twice": "el gènere {genre} hi és dues vegades",
        "genre {genre} is given twice in {text!r}": "el gènere {genre} hi és dues vegades a {text!r}",
        "genre {name!r} has value {value!r}, which is not a number":
            "el gènere {name!r} té el valor {value!r}, que no és un nombre",
        "no genres given; write them like \"Rock=1,Punk=0.8\"":
            "no hi ha cap gènere; escriu-los així: \"Rock=1,Punk=0.8\"",
        "unknown column(s) {columns}; genre columns must be among: {valid}":
            "columnes desconegudes {columns}; les columnes de gènere han de ser d'aquestes: {valid}",
        "genre column(s) given twice: {columns}": "columnes de gènere repetides: {columns}",
        "one person's taste is a single vector of {count} values, got shape {shape}":
            "el gust d'una persona és un sol vector de {count} valors, no la forma {shape}",
        "top_n must be at least 1, got {top_n}": "top_n ha de ser almenys 1, no {top_n}",
        "pet size must be between 64 and 4096 pixels, got {size}":
            "la mida de la mascota ha de ser entre 64 i 4096 píxels, no {size}",
        # names that don't exist (UnknownName) and the kinds of thing they name
        "unknown {kind} {name!r}; choose one of: {valid}": "{kind}: {name!r} no existeix; tria'n un d'aquests: {valid}",
        "{slot} accessory": "accessori de {slot}",
        "head": "cap", "face": "cara", "torso": "cos",
        "gender": "gènere", "age group": "edat", "skin tone": "to de pell", "attribute field": "camp de descripció",
        "avatar generator": "generador d'avatars", "background": "fons", "creature": "criatura",
        "face detector": "detector de cares",
        "face-attribute backend": "analitzador de cares", "segmentation backend": "retallador de persones",
        "offline look": "estil sense connexió", "preset": "perfil", "slot": "lloc", "strategy": "estratègia",
        "style": "estil", "weight syntax": "sintaxi de pesos"
    },
    "es": {
        # notes on a result
        "{count} people found; the avatar shows one of them":
            "Se han encontrado {count} personas; el avatar muestra a una de ellas",
        "{count} faces found; the largest one was used": "Se han encontrado {count} caras; se ha usado la más grande",
        "No face found, so the centre of the photo is used; face the camera in good light for a better crop":
            ("No se ha encontrado ninguna cara, así que se usa el centro de la foto; mira a la cámara con buena luz "
             "para un encuadre mejor"),
        "No face found, so nothing was guessed; choose how the avatar should look yourself":
            "No se ha encontrado ninguna cara, así que no se ha adivinado nada; elige tú cómo debe ser el avatar",
        "Face analysis is off; choose how the avatar should look yourself":
            "El análisis de la cara está desactivado; elige tú cómo debe ser el avatar",
        "gender unclear from the photo; choose it yourself if you like":
            "en la foto no queda claro el género; elígelo tú si quieres",
        "No person found to cut out, so the avatar is a round badge of the whole picture":
            ("No se ha encontrado ninguna persona para recortar, así que el avatar es una insignia redonda de toda "
             "la imagen"),
        "The {style} style needs an AI generator; the instant generator drew its {look} look":
            "El estilo {style} necesita un generador de IA; el generador instantáneo ha dibujado el estilo {look}",
        "the avatar at scale {scale:g} ({width}×{height} px) is larger than the {frame_w}×{frame_h} "
        "background; scaled down to fit (scale {fitted:.3g})":
            ("a escala {scale:g} ({width}×{height} px) el avatar es más grande que el fondo de {frame_w}×{frame_h}; "
             "se ha reducido para que quepa (escala {fitted:.3g})"),
        "the background ({width}×{height}) is over {limit} px; scaled down to {new_w}×{new_h}":
            "el fondo ({width}×{height}) pasa de {limit} px; se ha reducido a {new_w}×{new_h}",
        # photos and pictures
        "the file": "el archivo", "JPEG, PNG or WebP": "JPEG, PNG o WebP",
        "AI-edited · relive": "Editado con IA · relive",
        "no extension": "sin extensión",
        "{name} is not an image relive can read; use {readable}":
            "{name} no es una imagen que relive pueda leer; usa {readable}",
        "{name} is truncated or corrupt ({error}); save it again as {readable}":
            "{name} está incompleto o dañado; vuelve a guardarlo como {readable}",
        "{name} is {width}×{height}, over the {limit:,}-pixel limit; resize it first":
            "{name} mide {width}×{height}, más del límite de {limit:,} píxeles; primero hazla más pequeña",
        "{name} is far over the {limit:,}-pixel limit (a decompression bomb?)":
            "{name} supera con mucho el límite de {limit:,} píxeles; usa una foto más pequeña",
        "{name} is animated ({frames} frames); use a still photo ({readable})":
            "{name} es animada ({frames} fotogramas); usa una foto fija ({readable})",
        "{name} is only {width}×{height}; use an image at least {side}×{side}":
            "{name} solo mide {width}×{height}; usa una imagen de al menos {side}×{side}",
        "no image file at {path!r}; check the path": "no hay ninguna imagen en {path!r}; comprueba la ruta",
        "the image holds NaN or infinite pixel values; save it as an 8-bit {readable}":
            "la imagen tiene píxeles con valores NaN o infinitos; guárdala como {readable} de 8 bits",
        "the image array holds NaN or infinite values": "la matriz de la imagen tiene valores NaN o infinitos",
        "image arrays must be uint8 or float in [0, 1], got {dtype}":
            "las matrices de imagen deben ser uint8 o float entre 0 y 1, no {dtype}",
        "an image array has shape (H, W), (H, W, 3) or (H, W, 4), got {shape}":
            "una matriz de imagen tiene la forma (H, W), (H, W, 3) o (H, W, 4), no {shape}",
        "images are loaded as 'RGB' or 'RGBA', not {mode!r}":
            "las imágenes se cargan como 'RGB' o 'RGBA', no {mode!r}",
        "expected an RGBA image with transparency, got mode {mode}":
            "hacía falta una imagen RGBA con transparencia, y está en modo {mode}",
        "cannot save {path!r} as {suffix!r}; use .png, .jpg or .webp":
            "no se puede guardar {path!r} como {suffix!r}; usa .png, .jpg o .webp",
        "folder {path!r} does not exist; create it first": "la carpeta {path!r} no existe; créala primero",
        "a mask must be uint8 (255 = foreground), bool or float in [0, 1], got {dtype}":
            "una máscara debe ser uint8 (255 = primer plano), bool o float entre 0 y 1, no {dtype}",
        "the mask is {mask} but the image is {width}×{height}; segment this very image (or resize the mask to it)":
            ("la máscara mide {mask} pero la imagen mide {width}×{height}; segmenta esta misma imagen (o ajusta la "
             "máscara a ella)"),
        "a mask is one channel (H, W), 255 = person; got shape {shape}":
            "una máscara tiene un solo canal (H, W), 255 = persona; tiene la forma {shape}",
        "feather={feather} is out of range; use 0 (hard edges) to 0.1 (very soft)":
            "feather={feather} está fuera del intervalo; usa de 0 (bordes duros) a 0,1 (muy suaves)",
        "size={size!r} is out of range; use a whole number of pixels from 16 to 4096":
            "size={size!r} está fuera del intervalo; usa un número entero de píxeles de 16 a 4096",
        "size={size!r} is out of range; use a whole number of pixels from 16 to 8192":
            "size={size!r} está fuera del intervalo; usa un número entero de píxeles de 16 a 8192",
        # the avatar
        "face {face} does not exist: {found} found; choose 0 to {last}":
            "la cara {face} no existe: hay {found}; elige de 0 a {last}",
        "choose={choose!r} is neither a face number nor a point (x, y) on the photo":
            "choose={choose!r} no es ni un número de cara ni un punto (x, y) de la foto",
        "face box {box} is empty; give it as (left, top, right, bottom) in pixels":
            "el recuadro de la cara {box} está vacío; dalo como (izquierda, arriba, derecha, abajo) en píxeles",
        "face={face!r}: give a box (x, y, w, h), 'crop' or None":
            "face={face!r}: da un recuadro (x, y, w, h), 'crop' o None",
        "seed={seed!r} is not a whole number; use e.g. seed=0":
            "la semilla {seed!r} no es un número entero; usa, por ejemplo, 0",
        "seed={seed!r} is not usable; give a whole number ≥ 0":
            "la semilla {seed!r} no sirve; da un número entero ≥ 0",
        "the essential prompt ({tokens} tokens) exceeds CLIP's {limit}; shorten the style lead or the person "
        "description":
            ("la indicación esencial ({tokens} tokens) supera el límite de CLIP ({limit}); acorta el inicio del "
             "estilo o la descripción de la persona"),
        "the avatar must be a PIL RGBA cut-out (transparent around the person); make one with "
        "relive.backends.segmentation.remove_background":
            "el avatar debe ser un recorte RGBA (transparente alrededor de la persona); vuelve a hacer el avatar",
        "the LoRA {path} cannot be read ({error}); check that it is a complete .safetensors file, or {fix}":
            "El estilo adicional (LoRA) de esta máquina no se puede leer; avisa al personal",
        "the LoRA {path} {problem} ({error}); {fix}":
            "El estilo adicional (LoRA) de esta máquina no encaja con el modelo; avisa al personal",
        "the LoRA {path} holds no LoRA layers (its tensor names lack 'lora'): it may be a full model checkpoint, "
        "which relive does not load as a LoRA; {fix}":
            "El estilo adicional (LoRA) de esta máquina no es un LoRA; avisa al personal",
        "the LoRA {path} has layers for the text encoders only; relive loads LoRAs into the UNet only (the refiner "
        "shares text_encoder_2), so it would change nothing; {fix}":
            "El estilo adicional (LoRA) de esta máquina no cambiaría nada; avisa al personal",
        "the GPU ran out of memory; try the sdxl-fast generator (relive unloads the others first), or set "
        "RELIVE_CPU_OFFLOAD=1 (and RELIVE_VAE_TILING=1)":
            "la tarjeta gráfica se ha quedado sin memoria; prueba el generador SDXL-Turbo o pide ayuda al personal",
        "the {generator} generator needs about {needed:.1f} GiB of {where} ({dtype} weights + working memory) but "
        "{available:.1f} GiB is available; use the instant generator, free memory, or run on a GPU":
            ("el generador {generator} necesita unos {needed:.1f} GiB de memoria y ahora solo hay "
             "{available:.1f} GiB; usa el generador instantáneo"),
        # the carousel
        "no person found in that picture; upload a photo with one person clearly visible, or make your avatar in "
        "the Avatar tab first":
            ("no se ha encontrado ninguna persona en esa imagen; sube una foto donde se vea bien a una persona, o "
             "haz primero tu avatar en la pestaña Avatar"),
        "the avatar has no transparency (an RGB image or a fully opaque one); fuse needs an RGBA cut-out with a "
        "transparent background: make one with `relive avatar` or a background remover and save it as PNG":
            ("el avatar no tiene transparencia; hace falta un recorte con el fondo transparente: haz tu avatar en la "
             "pestaña Avatar o sube un recorte PNG"),
        "the avatar is fully transparent; there is nothing to place":
            "el avatar es totalmente transparente; no hay nada que colocar",
        "the avatar lands entirely outside the background; choose another position":
            "el avatar queda totalmente fuera del fondo; elige otra posición",
        "choose at least one festival background for the album": "elige al menos un festival para el álbum",
        "feet position ({x:g}, {y:g}) must be relative, each between 0 and 1":
            "la posición de los pies ({x:g}, {y:g}) debe ser relativa, cada valor entre 0 y 1",
        "position {text!r} is not X,Y (two numbers, the feet's pixel position)":
            "la posición {text!r} no es X,Y (dos números, el píxel de los pies)",
        "position {text!r} must be two finite numbers": "la posición {text!r} deben ser dos números finitos",
        "position ({x:g}, {y:g}) is outside the {frame_w}×{frame_h} background: X must be 0–{frame_w} and Y "
        "0–{frame_h} (the pixel where the avatar's feet go)":
            ("la posición ({x:g}, {y:g}) está fuera del fondo de {frame_w}×{frame_h}: X debe ser 0–{frame_w} e Y "
             "0–{frame_h} (el píxel donde van los pies del avatar)"),
        "scale {scale!r} must be a positive number (the avatar's height as a fraction of the background's, e.g. 0.6)":
            ("la escala {scale!r} debe ser un número positivo (la altura del avatar como fracción de la del fondo, "
             "por ejemplo 0,6)"),
        "background {background}, avatar {avatar} and mask {mask} must be H×W×3, H×W×3 and H×W of the same size":
            ("el fondo {background}, el avatar {avatar} y la máscara {mask} deben ser H×W×3, H×W×3 y H×W del mismo "
             "tamaño"),
        "the front layer is {width}×{height} but the background is {frame_w}×{frame_h}; draw both again with "
        "`python tools/render_backgrounds.py`":
            "este fondo de festival está mal instalado; avisa al personal",
        # genres and the pet
        "unknown genre {name!r}; valid genres: {valid}":
            "género desconocido {name!r}; los géneros válidos son: {valid}",
        "genre values must be {count} numbers in [0, 1] per user, got {values!r:.80}":
            "los valores de género deben ser {count} números entre 0 y 1 por persona, no {values!r:.80}",
        "a preference vector has {count} values (one per genre), got shape {shape}":
            "un vector de preferencias tiene {count} valores (uno por género), no la forma {shape}",
        "invalid genre values: {values}; every genre value must be a number in [0, 1]":
            "valores de género no válidos: {values}; cada valor debe ser un número entre 0 y 1",
        "genre {genre} is given twice": "el género {genre} aparece dos veces",
        "genre {genre} is given twice in {text!r}": "el género {genre} aparece dos veces en {text!r}",
        "genre {name!r} has value {value!r}, which is not a number":
            "el género {name!r} tiene el valor {value!r}, que no es un número",
        "no genres given; write them like \"Rock=1,Punk=0.8\"":
            "no hay ningún género; escríbelos así: \"Rock=1,Punk=0.8\"",
        "unknown column(s) {columns}; genre columns must be among: {valid}":
            "columnas desconocidas {columns}; las columnas de género deben ser de estas: {valid}",
        "genre column(s) given twice: {columns}": "columnas de género repetidas: {columns}",
        "one person's taste is a single vector of {count} values, got shape {shape}":
            "el gusto de una persona es un solo vector de {count} valores, no la forma {shape}",
        "top_n must be at least 1, got {top_n}": "top_n debe ser al menos 1, no {top_n}",
        "pet size must be between 64 and 4096 pixels, got {size}":
            "el tamaño de la mascota debe estar entre 64 y 4096 píxeles, no {size}",
        # names that don't exist (UnknownName) and the kinds of thing they name
        "unknown {kind} {name!r}; choose one of: {valid}": "{kind}: {name!r} no existe; elige uno de estos: {valid}",
        "{slot} accessory": "accesorio de {slot}",
        "head": "cabeza", "face": "cara", "torso": "cuerpo",
        "gender": "género", "age group": "edad", "skin tone": "tono de piel", "attribute field": "campo de descripción",
        "avatar generator": "generador de avatares", "background": "fondo", "creature": "criatura",
        "face detector": "detector de caras",
        "face-attribute backend": "analizador de caras", "segmentation backend": "recortador de personas",
        "offline look": "estilo sin conexión", "preset": "perfil", "slot": "lugar", "strategy": "estrategia",
        "style": "estilo", "weight syntax": "sintaxis de pesos",
    },
}

# Texts the page script shows by itself (overlays), and the phone page: sent as plain strings, not keys.
SCRIPT_KEYS = ("idle.title", "idle.body", "countdown.smile", "countdown.no_camera", "webcam.access")


def t(key: str) -> I18nData:
    """A translatable text for a component (label, value, info, choice label). Unknown keys fail loudly here."""
    if key not in TEXT[DEFAULT]:
        raise KeyError(f"no English text for i18n key {key!r}; add it to relive/ui/i18n.py")
    return I18nData(key)


def has(key: str) -> bool:
    return key in TEXT[DEFAULT]


def choice(prefix: str, name: str):
    """The label for a library-named choice: translated when ``prefix.name`` is known, else the name as is."""
    key = f"{prefix}.{name}"
    return t(key) if has(key) else name


def choices(prefix: str, pairs: Iterable[tuple[str, str]]) -> list[tuple]:
    """``(label, value)`` pairs with their labels translated by value (``prefix.value``) where a text exists."""
    return [(t(f"{prefix}.{value}") if has(f"{prefix}.{value}") else label, value) for label, value in pairs]


def text(key: str, lang: str = DEFAULT, **values) -> str:
    """The plain text of ``key`` in ``lang`` (English where missing), formatted with ``values``."""
    table = TEXT.get(lang, TEXT[DEFAULT])
    return table.get(key, TEXT[DEFAULT][key]).format(**values) if values else table.get(key, TEXT[DEFAULT][key])


def steps_html(active: str, lang: str = DEFAULT) -> str:
    """The step indicator 1 Pet → 2 Avatar → 3 Carousel in ``lang``, ``active`` highlighted."""
    items = "".join(f'<li class="{"active" if key == active else ""}"><span>{n}</span>{text("step." + key, lang)}</li>'
                    for n, key in enumerate(STEP_KEYS, 1))
    return f'<ol class="relive-steps" aria-label="{text("step.aria", lang)}">{items}</ol>'


def steps(active: str) -> I18nData:
    """The step indicator as one translatable value (the frontend swaps one key per text)."""
    return I18nData(f"steps.{active}")


def language(code: str | None) -> str:
    """One of our languages for a browser's code (``ca-ES`` → ``ca``); English for anything else or nothing."""
    short = (code or "").strip().lower().split("-")[0]
    return short if short in TEXT else DEFAULT


def words(lang: str) -> dict[str, str]:
    """Every text in ``lang`` (English where it has none): what the library's drawings and explanations take, the
    translations of its messages included (they are keyed by their English template)."""
    return {**TEXT[DEFAULT], **TEXT.get(lang, {}), **translations(lang)}


# Names the library puts into its messages and progress that the UI already translates: a style's label, a
# festival's title, the own photo's page, a generator's stage.
_NAMED_IN_MESSAGES = ("style.", "bg.", "album.own_photo", "stage.")


def translations(lang: str) -> dict[str, str]:
    """The library's English templates → ``lang``'s: :data:`MESSAGES`, and the names the UI translates anyway."""
    named = {TEXT[DEFAULT][key]: value for key, value in TEXT.get(lang, {}).items()
             if key.startswith(_NAMED_IN_MESSAGES)}
    return {**named, **MESSAGES.get(lang, {})}


def message(text: str, lang: str = DEFAULT) -> str:
    """A text the library made (an error's message, a note on a result) in ``lang``: a
    :class:`~relive.messages.Message` is translated with its parameters, English where a template has no
    translation; a plain string stays as it is."""
    return render(text, translations(language(lang)))


def pick_language(accept_language: str | None) -> str:
    """The first of our languages in an HTTP Accept-Language header (``ca-ES,ca;q=0.9,en;q=0.8``), else English."""
    ranked = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower().split("-")[0]))
    for _, _, code in sorted(ranked):
        if code in TEXT:
            return code
    return DEFAULT


def retention_minutes() -> int:
    """The retention window as the texts say it: whole minutes, at least one."""
    return max(1, round(settings().retention_s / 60))


def build_i18n(minutes: int) -> gr.I18n:
    """The translations handed to Gradio: every text, ``{minutes}`` filled in, plus the derived step indicators."""
    tables = {}
    for lang, table in TEXT.items():
        full = {key: value.replace("{minutes}", str(minutes)) for key, value in table.items()}
        full.update({f"steps.{key}": steps_html(key, lang) for key in STEP_KEYS})
        tables[lang] = full
    return gr.I18n(**tables)


def script_texts() -> str:
    """The overlay texts for the page script, as JSON: {lang: {key: text}}."""
    return json.dumps({lang: {key: text(key, lang) for key in SCRIPT_KEYS} for lang in TEXT}, ensure_ascii=False)
