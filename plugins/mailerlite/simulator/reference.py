"""The vendor's recorded reference tables: ``GET /timezones`` (ids and names as recorded, duplicates included;
each offset recomputed from the tz database at the simulated time when it knows the zone, the recorded one
otherwise) and ``GET /campaigns/languages``. Campaign scheduling resolves a ``timezone_id`` with
`timezone_name` and turns the local send time into UTC with `to_utc`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.simulator import Row, SimRequest, route

from .shapes import Base

LANGUAGE_KEYS = ("id", "shortcode", "iso639", "name", "direction")


class Reference(Base):
    @route("GET", "/api/timezones")
    def timezones(self, req: SimRequest) -> Any:
        now, data = self.clock.utcnow(), []
        for tid, name, _ in TIMEZONES:
            offset = int((now.astimezone(_zone(name)).utcoffset() or timedelta()).total_seconds() // 60)
            offset_name = f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
            data.append({"id": tid, "name": name, "name_for_humans": f"{name.replace('_', ' ')} ({offset_name})",
                         "offset_name": offset_name, "offset": offset})
        return {"data": data}

    @route("GET", "/api/campaigns/languages")
    def campaign_languages(self, req: SimRequest) -> Any:
        return {"data": list(LANGUAGES.values())}


def timezone_name(tz_id: str) -> str | None:
    return next((name for tid, name, _ in TIMEZONES if tid == tz_id), None)


def _zone(name: str) -> tzinfo:
    """The tz database's zone, or the recorded offset when the database does not know the name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(minutes=next((off for _, tz, off in TIMEZONES if tz == name), 0)))


def to_utc(local: datetime, tz_name: str) -> datetime:
    """A naive local wall time in `tz_name` → naive UTC."""
    return local.replace(tzinfo=_zone(tz_name)).astimezone(UTC).replace(tzinfo=None)


# GET /campaigns/languages as recorded (id:shortcode:iso639:name:direction)
_LANGUAGES_RECORDED = """
23:ar:ar:(Arabic) العربية:rtl;34:ca:ca:Català:ltr;21:cz:cs-CZ:Český:ltr;35:ch:ch:Chinese:ltr;16:dk:da-DK:Dansk:ltr;
5:de:de-DE:Deutsch:ltr;15:ee:et-EE:Eesti:ltr;4:en:en-US:English:ltr;8:es:es-ES:Español:ltr;
9:mx:es-MX:Español (Latinoamérica):ltr;17:fi:fi-FI:Finnish:ltr;6:fr:fr-FR:Français:ltr;
26:frq:fr-CA:Français (Canada):ltr;36:he:he:(Hebrew) עברית:rtl;20:hr:hr-HR:Hrvatski:ltr;7:it:it-IT:Italiano:ltr;
37:ja:jpn:Japanese:ltr;14:lv:lv-LV:Latviešu:ltr;1:lt:lt-LT:Lietuviškai:ltr;32:hu:hu-HU:Magyar:ltr;
13:nl:nl-NL:Nederlands:ltr;28:no:nn-NO:Norsk:ltr;33:pr:fa-IR:(Persian) فارسی:rtl;2:pl:pl-PL:Polski:ltr;
18:pt:pt-PT:Português:ltr;19:ptbr:pt-BR:Português (Brasil):ltr;27:ro:ro-RO:Română:ltr;22:sl:sl-SI:Slovenski:ltr;
10:sk:sk-SK:Slovensky:ltr;11:se:sv-SE:Svenska:ltr;25:tr:tr-TR:Türkçe:ltr;24:gr:el-GR:Ελληνικά:ltr;
30:bg:bg-BG:Български:ltr;29:mk:mk-MK:Македонски:ltr;3:ru:ru-RU:Русский:ltr;31:sr:sr-Cyrl:Српски:ltr;
12:ua:uk-UA:Українська:ltr
"""
LANGUAGES: dict[str, Row] = {
    entry.split(":")[0]: dict(zip(LANGUAGE_KEYS, entry.split(":"), strict=True))
    for entry in _LANGUAGES_RECORDED.replace("\n", "").split(";")
}

# GET /timezones as recorded (id:name:offset in minutes at recording time)
_TIMEZONES_RECORDED = """
1:Africa/Abidjan:0 2:Africa/Accra:0 3:Africa/Addis_Ababa:180 4:Africa/Algiers:60 5:Africa/Asmara:180 6:Africa/Bamako:0
7:Africa/Bangui:60 8:Africa/Banjul:0 9:Africa/Bissau:0 10:Africa/Blantyre:120 11:Africa/Brazzaville:60
12:Africa/Bujumbura:120 16:Africa/Conakry:0 17:Africa/Dakar:0 18:Africa/Dar_es_Salaam:180 19:Africa/Djibouti:180
20:Africa/Douala:60 23:Africa/Gaborone:120 24:Africa/Harare:120 25:Africa/Johannesburg:120 27:Africa/Kampala:180
28:Africa/Khartoum:120 29:Africa/Kigali:120 30:Africa/Kinshasa:60 31:Africa/Lagos:60 32:Africa/Libreville:60
33:Africa/Lome:0 34:Africa/Luanda:60 35:Africa/Lubumbashi:120 36:Africa/Lusaka:120 37:Africa/Malabo:60
38:Africa/Maputo:120 39:Africa/Maseru:120 40:Africa/Mbabane:120 41:Africa/Mogadishu:180 42:Africa/Monrovia:0
43:Africa/Nairobi:180 44:Africa/Ndjamena:60 45:Africa/Niamey:60 46:Africa/Nouakchott:0 47:Africa/Ouagadougou:0
48:Africa/Porto-Novo:60 49:Africa/Sao_Tome:0 50:Africa/Tripoli:120 51:Africa/Tunis:60 52:Africa/Windhoek:120
55:America/Anguilla:-240 56:America/Antigua:-240 57:America/Araguaina:-180 58:America/Argentina/Buenos_Aires:-180
59:America/Argentina/Catamarca:-180 60:America/Argentina/Cordoba:-180 61:America/Argentina/Jujuy:-180
62:America/Argentina/La_Rioja:-180 63:America/Argentina/Mendoza:-180 64:America/Argentina/Rio_Gallegos:-180
65:America/Argentina/Salta:-180 66:America/Argentina/San_Juan:-180 67:America/Argentina/San_Luis:-180
68:America/Argentina/Tucuman:-180 69:America/Argentina/Ushuaia:-180 70:America/Aruba:-240 72:America/Atikokan:-300
73:America/Bahia:-180 75:America/Barbados:-240 76:America/Belem:-180 77:America/Belize:-360 78:America/Blanc-Sablon:-240
79:America/Boa_Vista:-240 80:America/Bogota:-300 83:America/Campo_Grande:-240 84:America/Cancun:-300
85:America/Caracas:-240 86:America/Cayenne:-180 87:America/Cayman:-300 90:America/Costa_Rica:-360
91:America/Creston:-420 92:America/Cuiaba:-240 93:America/Curacao:-240 94:America/Danmarkshavn:0 95:America/Dawson:-420
96:America/Dawson_Creek:-420 99:America/Dominica:-240 101:America/Eirunepe:-300 102:America/El_Salvador:-360
103:America/Fort_Nelson:-420 104:America/Fortaleza:-180 108:America/Grenada:-240 109:America/Guadeloupe:-240
110:America/Guatemala:-360 111:America/Guayaquil:-300 112:America/Guyana:-240 115:America/Hermosillo:-420
126:America/Jamaica:-300 130:America/Kralendijk:-240 131:America/La_Paz:-240 132:America/Lima:-300 26:Africa/Juba:120
134:America/Lower_Princes:-240 135:America/Maceio:-180 136:America/Managua:-360 137:America/Manaus:-240
138:America/Marigot:-240 139:America/Martinique:-240 88:America/Chicago:-300 149:America/Montevideo:-180
150:America/Montserrat:-240 155:America/Noronha:-120 161:America/Panama:-300 81:America/Boise:-360
82:America/Cambridge_Bay:-360 163:America/Paramaribo:-180 164:America/Phoenix:-420 166:America/Port_of_Spain:-240
167:America/Porto_Velho:-240 168:America/Puerto_Rico:-240 169:America/Punta_Arenas:-180 172:America/Recife:-180
173:America/Regina:-360 175:America/Rio_Branco:-300 54:America/Anchorage:-480 127:America/Juneau:-480 237:Asia/Gaza:180
13:Africa/Cairo:180 98:America/Detroit:-240 120:America/Indiana/Tell_City:-300 176:America/Santarem:-180
178:America/Santo_Domingo:-240 179:America/Sao_Paulo:-180 182:America/St_Barthelemy:-240 184:America/St_Kitts:-240
185:America/St_Lucia:-240 186:America/St_Thomas:-240 187:America/St_Vincent:-240 188:America/Swift_Current:-360
189:America/Tegucigalpa:-360 194:America/Tortola:-240 196:America/Whitehorse:-420 201:Antarctica/Davis:420
202:Antarctica/DumontDUrville:600 204:Antarctica/Mawson:300 206:Antarctica/Palmer:-180 207:Antarctica/Rothera:-180
208:Antarctica/Syowa:180 212:Asia/Aden:180 215:Asia/Anadyr:720 216:Asia/Aqtau:300 217:Asia/Aqtobe:300
218:Asia/Ashgabat:300 219:Asia/Atyrau:300 220:Asia/Baghdad:180 221:Asia/Bahrain:180 222:Asia/Baku:240
223:Asia/Bangkok:420 224:Asia/Barnaul:420 226:Asia/Bishkek:360 227:Asia/Brunei:480 228:Asia/Chita:540
229:Asia/Choibalsan:480 230:Asia/Colombo:330 232:Asia/Dhaka:360 233:Asia/Dili:540 234:Asia/Dubai:240
235:Asia/Dushanbe:300 239:Asia/Ho_Chi_Minh:420 240:Asia/Hong_Kong:480 241:Asia/Hovd:420 242:Asia/Irkutsk:480
243:Asia/Jakarta:420 244:Asia/Jayapura:540 246:Asia/Kabul:270 247:Asia/Kamchatka:720 248:Asia/Karachi:300
249:Asia/Kathmandu:345 250:Asia/Khandyga:540 251:Asia/Kolkata:330 252:Asia/Krasnoyarsk:420 253:Asia/Kuala_Lumpur:480
254:Asia/Kuching:480 255:Asia/Kuwait:180 256:Asia/Macau:480 257:Asia/Magadan:660 258:Asia/Makassar:480
259:Asia/Manila:480 260:Asia/Muscat:240 262:Asia/Novokuznetsk:420 263:Asia/Novosibirsk:420 264:Asia/Omsk:360
265:Asia/Oral:300 266:Asia/Phnom_Penh:420 267:Asia/Pontianak:420 268:Asia/Pyongyang:540 269:Asia/Qatar:180
113:America/Halifax:-180 271:Asia/Qyzylorda:300 272:Asia/Riyadh:180 273:Asia/Sakhalin:660 274:Asia/Samarkand:300
275:Asia/Seoul:540 276:Asia/Shanghai:480 277:Asia/Singapore:480 231:Asia/Damascus:180 278:Asia/Srednekolymsk:660
279:Asia/Taipei:480 280:Asia/Tashkent:300 281:Asia/Tbilisi:240 283:Asia/Thimphu:360 284:Asia/Tokyo:540
285:Asia/Tomsk:420 225:Asia/Beirut:180 143:America/Merida:-360 145:America/Mexico_City:-360 141:America/Mazatlan:-420
286:Asia/Ulaanbaatar:480 287:Asia/Urumqi:360 288:Asia/Ust-Nera:600 289:Asia/Vientiane:420 290:Asia/Vladivostok:600
291:Asia/Yakutsk:540 292:Asia/Yangon:390 293:Asia/Yekaterinburg:300 294:Asia/Yerevan:240
119:America/Indiana/Petersburg:-240 140:America/Matamoros:-300 97:America/Denver:-360 124:America/Inuvik:-360
192:America/Tijuana:-420 298:Atlantic/Cape_Verde:-60 301:Atlantic/Reykjavik:0 302:Atlantic/South_Georgia:-120
303:Atlantic/St_Helena:0 304:Atlantic/Stanley:-180 306:Australia/Brisbane:600 309:Australia/Darwin:570
310:Australia/Eucla:525 312:Australia/Lindeman:600 315:Australia/Perth:480 319:Europe/Astrakhan:240
335:Europe/Istanbul:180 337:Europe/Kaliningrad:120 339:Europe/Kirov:180 347:Europe/Minsk:180 349:Europe/Moscow:180
356:Europe/Samara:240 359:Europe/Saratov:240 360:Europe/Simferopol:180 366:Europe/Ulyanovsk:240
144:America/Metlakatla:-480 154:America/Nome:-480 245:Asia/Jerusalem:180 325:Europe/Bucharest:180
160:America/Ojinaga:-300 21:Africa/El_Aaiun:60 213:Asia/Almaty:300 377:Indian/Antananarivo:180 378:Indian/Chagos:360
379:Indian/Christmas:420 380:Indian/Cocos:390 381:Indian/Comoro:180 382:Indian/Kerguelen:300 383:Indian/Mahe:240
384:Indian/Maldives:300 385:Indian/Mauritius:240 386:Indian/Mayotte:180 387:Indian/Reunion:240
390:Pacific/Bougainville:660 392:Pacific/Chuuk:600 394:Pacific/Efate:660 395:Pacific/Enderbury:780
396:Pacific/Fakaofo:780 398:Pacific/Funafuti:720 399:Pacific/Galapagos:-360 400:Pacific/Gambier:-540
401:Pacific/Guadalcanal:660 402:Pacific/Guam:600 403:Pacific/Honolulu:-600 404:Pacific/Kiritimati:840
405:Pacific/Kosrae:660 406:Pacific/Kwajalein:720 372:Europe/Volgograd:180 407:Pacific/Majuro:720
408:Pacific/Marquesas:-570 409:Pacific/Midway:-660 410:Pacific/Nauru:720 411:Pacific/Niue:-660 413:Pacific/Noumea:660
414:Pacific/Pago_Pago:-660 415:Pacific/Palau:540 416:Pacific/Pitcairn:-480 417:Pacific/Pohnpei:660
418:Pacific/Port_Moresby:600 419:Pacific/Rarotonga:-600 420:Pacific/Saipan:600 397:Pacific/Fiji:720
421:Pacific/Tahiti:-600 422:Pacific/Tarawa:720 423:Pacific/Tongatapu:780 424:Pacific/Wake:720 425:Pacific/Wallis:720
426:UTC:0 427:Atlantic/Cape_Verde:-60 428:America/Regina:-360 388:Pacific/Apia:780 107:America/Grand_Turk:-240
142:America/Menominee:-300 199:America/Yellowknife:-360 328:Europe/Chisinau:180 329:Europe/Copenhagen:120
190:America/Thule:-180 471:America/Resolute:-300 429:Asia/Sakhalin:660 430:America/Belize:-360
431:America/Danmarkshavn:0 433:America/Whitehorse:-420 434:America/St_Barthelemy:-240 435:UTC:0
436:America/St_Vincent:-240 437:America/Grenada:-240 438:Africa/Libreville:60 441:America/Hermosillo:-420
443:Asia/Qatar:180 308:Australia/Currie:600 444:Asia/Dhaka:360 445:Asia/Ashgabat:300 446:Europe/Kaliningrad:120
449:Asia/Aqtau:300 450:Africa/Windhoek:120 451:Asia/Tashkent:300 452:Europe/Saratov:240 453:UTC:0
454:America/Hermosillo:-420 456:Asia/Irkutsk:480 458:Africa/Malabo:60 459:Pacific/Saipan:600 460:America/Guyana:-240
461:Asia/Tbilisi:240 466:Indian/Christmas:420 468:America/Swift_Current:-360 473:Asia/Kamchatka:720 474:Asia/Dubai:240
475:America/Danmarkshavn:0 476:America/Santo_Domingo:-240 477:Africa/Johannesburg:120 478:Asia/Kuala_Lumpur:480
479:Asia/Dushanbe:300 481:Asia/Thimphu:360 482:America/La_Paz:-240 483:Europe/Saratov:240 485:Asia/Kuching:480
486:America/Caracas:-240 307:Australia/Broken_Hill:570 488:Asia/Colombo:330 490:America/Cuiaba:-240
491:America/Argentina/Ushuaia:-180 492:Asia/Ho_Chi_Minh:420 493:Africa/Ouagadougou:0 494:Africa/Lubumbashi:120
495:America/Porto_Velho:-240 496:Asia/Tashkent:300 499:America/Port_of_Spain:-240 500:America/St_Thomas:-240
502:America/Puerto_Rico:-240 448:Africa/Cairo:180 89:America/Chihuahua:-360 177:America/Santiago:-180
393:Pacific/Easter:-300 133:America/Los_Angeles:-420 198:America/Yakutat:-480 181:America/Sitka:-480
53:America/Adak:-540 338:Europe/Kiev:180 148:America/Monterrey:-360 22:Africa/Freetown:0 71:America/Asuncion:-180
334:Europe/Isle_of_Man:60 503:America/Regina:-360 506:Africa/Bissau:0 508:America/Swift_Current:-360
511:America/Araguaina:-180 512:Asia/Tomsk:420 514:Asia/Magadan:660 282:Asia/Tehran:210 74:America/Bahia_Banderas:-360
238:Asia/Hebron:180 469:Africa/Cairo:180 214:Asia/Amman:180 205:Antarctica/McMurdo:720 389:Pacific/Auckland:720
391:Pacific/Chatham:765 501:Antarctica/McMurdo:720 270:Asia/Qostanay:300 412:Pacific/Norfolk:660 367:Europe/Uzhgorod:180
362:Europe/Sofia:180 15:Africa/Ceuta:120 313:Australia/Lord_Howe:630 513:Australia/Lord_Howe:630
311:Australia/Hobart:600 203:Antarctica/Macquarie:600 314:Australia/Melbourne:600 316:Australia/Sydney:600
211:Arctic/Longyearbyen:120 261:Asia/Nicosia:180 159:America/Nuuk:-60 146:America/Miquelon:-120 114:America/Havana:-240
121:America/Indiana/Vevay:-240 122:America/Indiana/Vincennes:-240 118:America/Indiana/Marengo:-240
165:America/Port-au-Prince:-240 162:America/Pangnirtung:-240 156:America/North_Dakota/Beulah:-300
158:America/North_Dakota/New_Salem:-300 170:America/Rainy_River:-300 299:Atlantic/Faroe:60 300:Atlantic/Madeira:60
320:Europe/Athens:180 322:Europe/Berlin:120 324:Europe/Brussels:120 330:Europe/Dublin:60 180:America/Scoresbysund:-60
464:Europe/Dublin:60 465:Asia/Nicosia:180 171:America/Rankin_Inlet:-300 174:America/Resolute:-300
117:America/Indiana/Knox:-300 157:America/North_Dakota/Center:-300 100:America/Edmonton:-360 515:America/Boise:-360
195:America/Vancouver:-420 341:Europe/Ljubljana:120 355:Europe/Rome:120 365:Europe/Tirane:120 371:Europe/Vilnius:180
439:Europe/Paris:120 352:Europe/Podgorica:120 305:Australia/Adelaide:570 295:Atlantic/Azores:0 346:Europe/Mariehamn:180
333:Europe/Helsinki:180 342:Europe/London:60 357:Europe/San_Marino:120 358:Europe/Sarajevo:120 336:Europe/Jersey:60
345:Europe/Malta:120 353:Europe/Prague:120 363:Europe/Stockholm:120 364:Europe/Tallinn:180 368:Europe/Vaduz:120
369:Europe/Vatican:120 370:Europe/Vienna:120 373:Europe/Warsaw:120 374:Europe/Zagreb:120 375:Europe/Zaporozhye:180
376:Europe/Zurich:120 209:Antarctica/Troll:120 326:Europe/Budapest:120 106:America/Goose_Bay:-180
14:Africa/Casablanca:60 210:Antarctica/Vostok:300 200:Antarctica/Casey:480 317:Europe/Amsterdam:120
318:Europe/Andorra:120 327:Europe/Busingen:120 484:Atlantic/Bermuda:-180 296:Atlantic/Bermuda:-180
105:America/Glace_Bay:-180 147:America/Moncton:-180 183:America/St_Johns:-150 509:America/St_Johns:-150
129:America/Kentucky/Monticello:-240 191:America/Thunder_Bay:-240 125:America/Iqaluit:-240 151:America/Nassau:-240
152:America/New_York:-240 116:America/Indiana/Indianapolis:-240 123:America/Indiana/Winamac:-240
153:America/Nipigon:-240 193:America/Toronto:-240 463:America/Indiana/Petersburg:-240 432:America/Pangnirtung:-240
128:America/Kentucky/Louisville:-240 197:America/Winnipeg:-300 442:America/Chicago:-300 457:America/Resolute:-300
510:America/Metlakatla:-480 332:Europe/Guernsey:60 340:Europe/Lisbon:60 344:Europe/Madrid:120 351:Europe/Paris:120
455:Antarctica/Troll:120 467:Europe/Jersey:60 470:Europe/Skopje:120 472:Europe/Guernsey:60 480:Europe/Vaduz:120
297:Atlantic/Canary:60 348:Europe/Monaco:120 331:Europe/Gibraltar:120 354:Europe/Riga:180 462:Europe/Guernsey:60
343:Europe/Luxembourg:120 350:Europe/Oslo:120 323:Europe/Bratislava:120 361:Europe/Skopje:120 440:Asia/Famagusta:180
321:Europe/Belgrade:120 236:Asia/Famagusta:180 447:Europe/Mariehamn:180 487:Atlantic/Madeira:60 489:Europe/Athens:180
497:Europe/Uzhgorod:180 498:Europe/Gibraltar:120 504:Europe/Rome:120 505:Europe/London:60 507:Europe/Tallinn:180
516:Europe/Helsinki:180 517:Europe/Jersey:60 518:Europe/Madrid:120
"""

TIMEZONES = [(tid, name, int(offset)) for tid, name, offset in (e.split(":") for e in _TIMEZONES_RECORDED.split())]
