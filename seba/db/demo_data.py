"""Deterministic demo data: a clothing & lifestyle catalogue, customers and ~400 orders.

Everything is derived from ``random.Random(SEED)`` and the ``today`` passed in, so two loads
with the same ``today`` are identical. Orders 10456-10460 are a contract for the tests:

| order | phone       | state |
|-------|-------------|-------|
| 10456 | 01711000001 | shipped 2 days ago, Pathao PTH123456, expected today+2, inside Dhaka, cod |
| 10457 | 01811000002 | delivered 3 days ago, one black borka (returnable), cod paid |
| 10458 | 01911000003 | delivered 40 days ago (return window passed) |
| 10459 | 01611000004 | confirmed, not packed (cancellable), bkash paid |
| 10460 | 01511000005 | cancelled, Refund 1250 BDT bkash pending |

Random orders use 10071-10455 and 10461-10475 and never the contract phones.
"""

import datetime as dt
import random
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seba.db import local_today
from seba.db.models import Customer, Order, OrderItem, Product, Refund, ReturnRequest
from seba.text import mask_phone

SEED = 20240607
CONTRACT_NUMBERS = ("10456", "10457", "10458", "10459", "10460")
CONTRACT_PHONES = ("01711000001", "01811000002", "01911000003", "01611000004", "01511000005")
RANDOM_NUMBERS = [str(n) for n in range(10071, 10456)] + [str(n) for n in range(10461, 10476)]
N_RECENT = 15  # 10461-10475, placed yesterday
N_CUSTOMERS = 150

# Generic words customers use for each category (Bangla, English, Banglish spellings).
# They go into every product's keywords and into the NLU lookup table.
CATEGORY_WORDS: Dict[str, List[str]] = {
    "borka": ["বোরকা", "বোরখা", "borka", "borkha", "burka", "burkha", "burqa", "borka set"],
    "hijab": ["হিজাব", "hijab", "hijaab", "hizab", "hejab", "scarf", "স্কার্ফ"],
    "saree": ["শাড়ি", "শাড়ী", "saree", "sari", "shari", "sharee", "shaari"],
    "three_piece": [
        "থ্রি পিস",
        "থ্রিপিস",
        "থ্রি-পিস",
        "three piece",
        "three-piece",
        "3 piece",
        "3piece",
        "three pcs",
        "3 pcs",
        "salwar kameez",
        "সালোয়ার কামিজ",
        "থ্রি পিছ",
    ],
    "kurti": ["কুর্তি", "কুর্তা", "kurti", "kurtii", "tops", "টপস"],
    "panjabi": ["পাঞ্জাবি", "পাঞ্জাবী", "panjabi", "punjabi", "panjabee", "panjabi pajama"],
    "tshirt": [
        "টি-শার্ট",
        "টিশার্ট",
        "টি শার্ট",
        "গেঞ্জি",
        "t-shirt",
        "tshirt",
        "t shirt",
        "tee shirt",
        "genji",
    ],
    "shirt": ["শার্ট", "shirt", "sart", "shart"],
    "jeans": ["প্যান্ট", "pant", "pants", "trouser", "ট্রাউজার"],  # jeans words: JEANS below
    "footwear": ["জুতা", "জুতো", "juta", "juto", "shoe", "shoes", "footwear"],
    "bags": ["ব্যাগ", "bag", "beg", "handbag", "হ্যান্ডব্যাগ"],
    "watches": ["ঘড়ি", "হাতঘড়ি", "hatghori", "ghori", "ghari", "watch", "wrist watch"],
    "cosmetics": ["কসমেটিকস", "cosmetics", "makeup", "মেকআপ"],
    "jewellery": ["গয়না", "গহনা", "gohona", "jewellery", "jewelry"],
    "undergarments": ["আন্ডারগার্মেন্টস", "undergarments", "inner wear"],
    "kids": ["বাচ্চাদের", "শিশুদের", "kids", "baby", "বেবি", "bacchader"],
}

JEANS = "জিন্স,জিন্স প্যান্ট,jeans,jins,jeans pant,jins pant,denim,ডেনিম,"

# (sku, name_bn, name_en, category, colour_bn, colour_en, price, stock, sizes, extra keywords)
CATALOGUE: List[Tuple] = [
    (
        "BRK-001",
        "কালো জর্জেট বোরকা",
        "Black Georgette Borka",
        "borka",
        "কালো",
        "Black",
        1850,
        25,
        "52,54,56,58",
        "georgette borka,জর্জেট বোরকা,kalo borka",
    ),
    (
        "BRK-002",
        "নেভি ব্লু দুবাই চেরি বোরকা",
        "Navy Blue Dubai Cherry Borka",
        "borka",
        "নেভি ব্লু",
        "Navy Blue",
        2450,
        12,
        "52,54,56",
        "dubai borka,dubai cherry,দুবাই বোরকা,cherry borka",
    ),
    (
        "BRK-003",
        "মেরুন এমব্রয়ডারি আবায়া",
        "Maroon Embroidered Abaya",
        "borka",
        "মেরুন",
        "Maroon",
        3200,
        0,
        "54,56",
        "abaya,আবায়া,embroidery abaya",
    ),
    (
        "BRK-004",
        "হিজাবসহ কালো বোরকা সেট",
        "Black Borka Set with Hijab",
        "borka",
        "কালো",
        "Black",
        2100,
        8,
        "52,54,56,58",
        "borka hijab set,বোরকা সেট",
    ),
    (
        "HJB-001",
        "অফ-হোয়াইট জর্জেট হিজাব",
        "Off-White Georgette Hijab",
        "hijab",
        "অফ-হোয়াইট",
        "Off-White",
        450,
        60,
        None,
        "georgette hijab,জর্জেট হিজাব",
    ),
    (
        "HJB-002",
        "কালো জার্সি হিজাব",
        "Black Jersey Hijab",
        "hijab",
        "কালো",
        "Black",
        350,
        80,
        None,
        "jersey hijab,জার্সি হিজাব",
    ),
    (
        "HJB-003",
        "প্রিন্টেড শিফন হিজাব",
        "Printed Chiffon Hijab",
        "hijab",
        "গোলাপি",
        "Pink",
        590,
        40,
        None,
        "chiffon hijab,শিফন হিজাব",
    ),
    (
        "HJB-004",
        "কালো নিকাব",
        "Black Niqab",
        "hijab",
        "কালো",
        "Black",
        250,
        0,
        None,
        "niqab,nikab,নিকাব,নেকাব",
    ),
    (
        "SAR-001",
        "জামদানি শাড়ি",
        "Jamdani Saree",
        "saree",
        "লাল",
        "Red",
        8500,
        4,
        None,
        "jamdani,jamdani shari,জামদানী,dhakai jamdani,ঢাকাই জামদানি",
    ),
    (
        "SAR-002",
        "টাঙ্গাইল তাঁতের শাড়ি",
        "Tangail Tant Saree",
        "saree",
        "সবুজ",
        "Green",
        1650,
        15,
        None,
        "tant saree,tater shari,taat shari,তাঁতের শাড়ি,tangail saree",
    ),
    (
        "SAR-003",
        "রাজশাহী সিল্ক শাড়ি",
        "Rajshahi Silk Saree",
        "saree",
        "সোনালি",
        "Golden",
        5200,
        6,
        None,
        "silk saree,silk shari,সিল্ক শাড়ি",
    ),
    (
        "SAR-004",
        "মেরুন কাতান শাড়ি",
        "Maroon Katan Saree",
        "saree",
        "মেরুন",
        "Maroon",
        6800,
        0,
        None,
        "katan,katan shari,কাতান",
    ),
    (
        "SAR-005",
        "জর্জেট প্রিন্ট শাড়ি",
        "Printed Georgette Saree",
        "saree",
        "নীল",
        "Blue",
        1450,
        20,
        None,
        "georgette saree,georgette shari",
    ),
    (
        "TPC-001",
        "সুতি থ্রি পিস",
        "Cotton Three Piece",
        "three_piece",
        "হলুদ",
        "Yellow",
        1350,
        30,
        "M,L,XL",
        "cotton three piece,suti three piece,সুতি থ্রিপিস",
    ),
    (
        "TPC-002",
        "পাকিস্তানি লন থ্রি পিস",
        "Pakistani Lawn Three Piece",
        "three_piece",
        "সাদা",
        "White",
        2950,
        10,
        "M,L,XL",
        "lawn,lawn three piece,pakistani three piece,লন",
    ),
    (
        "TPC-003",
        "জর্জেট এমব্রয়ডারি থ্রি পিস",
        "Embroidered Georgette Three Piece",
        "three_piece",
        "পিচ",
        "Peach",
        3800,
        0,
        "M,L,XL",
        "party three piece,embroidery three piece",
    ),
    (
        "TPC-004",
        "আনস্টিচড প্রিন্ট থ্রি পিস",
        "Unstitched Printed Three Piece",
        "three_piece",
        "সবুজ",
        "Green",
        990,
        45,
        None,
        "unstitched,আনস্টিচ",
    ),
    (
        "KRT-001",
        "সুতি কুর্তি",
        "Cotton Kurti",
        "kurti",
        "সাদা",
        "White",
        850,
        35,
        "S,M,L,XL",
        "suti kurti,cotton kurti",
    ),
    (
        "KRT-002",
        "প্রিন্টেড লিনেন কুর্তি",
        "Printed Linen Kurti",
        "kurti",
        "আকাশি",
        "Sky Blue",
        1150,
        18,
        "S,M,L,XL",
        "linen kurti",
    ),
    (
        "KRT-003",
        "কালো লং কুর্তি",
        "Black Long Kurti",
        "kurti",
        "কালো",
        "Black",
        1290,
        0,
        "S,M,L,XL",
        "long kurti,লং কুর্তি",
    ),
    (
        "PNJ-001",
        "সুতি পাঞ্জাবি",
        "Cotton Panjabi",
        "panjabi",
        "সাদা",
        "White",
        1450,
        40,
        "M,L,XL,XXL",
        "suti panjabi,cotton punjabi",
    ),
    (
        "PNJ-002",
        "এমব্রয়ডারি সিল্ক পাঞ্জাবি",
        "Embroidered Silk Panjabi",
        "panjabi",
        "বেইজ",
        "Beige",
        3450,
        12,
        "M,L,XL,XXL",
        "silk panjabi,eid panjabi,সিল্ক পাঞ্জাবি",
    ),
    (
        "PNJ-003",
        "কালো কাবলি সেট",
        "Black Kabli Set",
        "panjabi",
        "কালো",
        "Black",
        2250,
        7,
        "M,L,XL",
        "kabli,kabli set,কাবলি",
    ),
    (
        "TSH-001",
        "বেসিক সুতি টি-শার্ট",
        "Basic Cotton T-Shirt",
        "tshirt",
        "কালো",
        "Black",
        350,
        100,
        "S,M,L,XL,XXL",
        "basic tshirt,plain t-shirt",
    ),
    (
        "TSH-002",
        "পোলো টি-শার্ট",
        "Polo T-Shirt",
        "tshirt",
        "নেভি ব্লু",
        "Navy Blue",
        650,
        50,
        "M,L,XL,XXL",
        "polo,polo shirt,পোলো",
    ),
    (
        "TSH-003",
        "প্রিন্টেড গ্রাফিক টি-শার্ট",
        "Printed Graphic T-Shirt",
        "tshirt",
        "সাদা",
        "White",
        450,
        0,
        "S,M,L,XL",
        "graphic tee,print tshirt",
    ),
    (
        "TSH-004",
        "ড্রপ শোল্ডার টি-শার্ট",
        "Drop Shoulder T-Shirt",
        "tshirt",
        "অলিভ",
        "Olive",
        550,
        30,
        "M,L,XL",
        "drop shoulder,ড্রপ শোল্ডার",
    ),
    (
        "SHT-001",
        "ফরমাল শার্ট",
        "Formal Shirt",
        "shirt",
        "আকাশি",
        "Sky Blue",
        1250,
        25,
        "M,L,XL,XXL",
        "formal shirt,office shirt",
    ),
    (
        "SHT-002",
        "চেক ক্যাজুয়াল শার্ট",
        "Check Casual Shirt",
        "shirt",
        "লাল",
        "Red",
        990,
        20,
        "M,L,XL",
        "check shirt,চেক শার্ট,casual shirt",
    ),
    (
        "SHT-003",
        "ডেনিম শার্ট",
        "Denim Shirt",
        "shirt",
        "নীল",
        "Blue",
        1450,
        0,
        "M,L,XL",
        "denim shirt,ডেনিম শার্ট",
    ),
    (
        "JNS-001",
        "জিন্স প্যান্ট",
        "Slim Fit Jeans Pant",
        "jeans",
        "নীল",
        "Blue",
        1650,
        30,
        "28,30,32,34,36",
        JEANS + "slim fit jeans,slim jeans",
    ),
    (
        "JNS-002",
        "কালো স্ট্রেচ জিন্স",
        "Black Stretch Jeans",
        "jeans",
        "কালো",
        "Black",
        1850,
        15,
        "28,30,32,34",
        JEANS + "stretch jeans,kalo jeans",
    ),
    (
        "JNS-003",
        "গ্যাবার্ডিন প্যান্ট",
        "Gabardine Pant",
        "jeans",
        "খাকি",
        "Khaki",
        1150,
        22,
        "30,32,34,36",
        "gabardine,gabadin,gaberdine,গ্যাবাডিন,chino",
    ),
    (
        "JNS-004",
        "লেডিস স্কিনি জিন্স",
        "Ladies Skinny Jeans",
        "jeans",
        "নীল",
        "Blue",
        1550,
        12,
        "26,28,30,32",
        JEANS + "skinny jeans,ladies jeans,লেডিস জিন্স",
    ),
    (
        "FTW-001",
        "লেদার স্যান্ডেল",
        "Leather Sandal",
        "footwear",
        "বাদামি",
        "Brown",
        1450,
        20,
        "39,40,41,42,43",
        "sandal,sandel,স্যান্ডেল,leather sandal,চামড়ার স্যান্ডেল",
    ),
    (
        "FTW-002",
        "লেডিস হাই হিল",
        "Ladies High Heel",
        "footwear",
        "সোনালি",
        "Golden",
        1850,
        10,
        "36,37,38,39,40",
        "heel,high heel,হিল,heels",
    ),
    (
        "FTW-003",
        "ক্যানভাস স্নিকার্স",
        "Canvas Sneakers",
        "footwear",
        "সাদা",
        "White",
        2200,
        0,
        "39,40,41,42,43,44",
        "sneakers,sneaker,কেডস,keds,স্নিকার",
    ),
    (
        "FTW-004",
        "লেদার লোফার",
        "Leather Loafer",
        "footwear",
        "কালো",
        "Black",
        2650,
        8,
        "39,40,41,42,43",
        "loafer,লোফার,leather shoe,chamrar juta",
    ),
    (
        "BAG-001",
        "লেডিস ব্যাগ",
        "Ladies Hand Bag",
        "bags",
        "মেরুন",
        "Maroon",
        1650,
        14,
        None,
        "ladies bag,vanity bag,ভ্যানিটি ব্যাগ,hand bag",
    ),
    (
        "BAG-002",
        "লেদার মানিব্যাগ",
        "Leather Wallet",
        "bags",
        "বাদামি",
        "Brown",
        650,
        40,
        None,
        "wallet,manibag,মানিব্যাগ,ওয়ালেট",
    ),
    (
        "BAG-003",
        "ল্যাপটপ ব্যাকপ্যাক",
        "Laptop Backpack",
        "bags",
        "কালো",
        "Black",
        1950,
        9,
        None,
        "backpack,ব্যাকপ্যাক,laptop bag,school bag",
    ),
    (
        "BAG-004",
        "পার্টি ক্লাচ",
        "Party Clutch",
        "bags",
        "সোনালি",
        "Golden",
        1250,
        0,
        None,
        "clutch,ক্লাচ,party bag",
    ),
    (
        "WCH-001",
        "চেইন বেল্ট হাতঘড়ি",
        "Chain Strap Wrist Watch",
        "watches",
        "রুপালি",
        "Silver",
        2450,
        11,
        None,
        "chain watch,men's watch,analog watch",
    ),
    (
        "WCH-002",
        "লেডিস হাতঘড়ি",
        "Ladies Wrist Watch",
        "watches",
        "রোজ গোল্ড",
        "Rose Gold",
        1950,
        7,
        None,
        "ladies watch,লেডিস ঘড়ি",
    ),
    (
        "WCH-003",
        "স্মার্ট ওয়াচ",
        "Smart Watch",
        "watches",
        "কালো",
        "Black",
        3500,
        5,
        None,
        "smartwatch,smart watch,স্মার্টওয়াচ",
    ),
    (
        "COS-001",
        "ম্যাট লিপস্টিক",
        "Matte Lipstick",
        "cosmetics",
        "লাল",
        "Red",
        450,
        60,
        None,
        "lipstick,লিপস্টিক,lipistic,matte lipstick",
    ),
    (
        "COS-002",
        "কাজল",
        "Kajal Eyeliner",
        "cosmetics",
        "কালো",
        "Black",
        250,
        100,
        None,
        "kajal,kajol,eyeliner,আইলাইনার",
    ),
    (
        "COS-003",
        "নিম ফেস ওয়াশ",
        "Neem Face Wash",
        "cosmetics",
        None,
        None,
        320,
        45,
        None,
        "face wash,facewash,ফেসওয়াশ,ফেস ওয়াশ",
    ),
    (
        "COS-004",
        "গ্লো ফেস ক্রিম",
        "Glow Face Cream",
        "cosmetics",
        None,
        None,
        550,
        0,
        None,
        "face cream,cream,ক্রিম,krim",
    ),
    (
        "JWL-001",
        "গোল্ড প্লেটেড কানের দুল",
        "Gold Plated Earrings",
        "jewellery",
        "সোনালি",
        "Golden",
        390,
        50,
        None,
        "earring,earrings,কানের দুল,দুল,kaner dul,jhumka,ঝুমকা",
    ),
    (
        "JWL-002",
        "অক্সিডাইজড নেকলেস সেট",
        "Oxidised Necklace Set",
        "jewellery",
        "রুপালি",
        "Silver",
        850,
        20,
        None,
        "necklace,নেকলেস,mala,মালা",
    ),
    (
        "JWL-003",
        "কাচের চুড়ি (১২টি)",
        "Glass Bangles (Set of 12)",
        "jewellery",
        "লাল",
        "Red",
        180,
        80,
        None,
        "churi,চুড়ি,bangles,bangle,kacher churi",
    ),
    (
        "UND-001",
        "সুতি ব্রা",
        "Cotton Bra",
        "undergarments",
        "স্কিন",
        "Skin",
        320,
        70,
        "32,34,36,38",
        "bra,ব্রা",
    ),
    (
        "UND-002",
        "ছেলেদের আন্ডারওয়্যার (৩টি)",
        "Men's Cotton Underwear (Pack of 3)",
        "undergarments",
        None,
        None,
        450,
        60,
        "M,L,XL",
        "underwear,আন্ডারওয়্যার,jangia,জাঙ্গিয়া",
    ),
    (
        "KID-001",
        "বেবি ফ্রক",
        "Baby Frock",
        "kids",
        "গোলাপি",
        "Pink",
        650,
        25,
        "1-2Y,2-3Y,3-4Y",
        "frock,ফ্রক,baby dress",
    ),
    (
        "KID-002",
        "বাচ্চাদের পাঞ্জাবি",
        "Kids Panjabi",
        "kids",
        "সাদা",
        "White",
        750,
        25,
        "2-3Y,4-5Y,6-7Y,8-9Y",
        "kids panjabi,পাঞ্জাবি,panjabi",
    ),
    (
        "KID-003",
        "বাচ্চাদের টি-শার্ট ও শর্টস সেট",
        "Kids T-Shirt & Shorts Set",
        "kids",
        "হলুদ",
        "Yellow",
        550,
        0,
        "2-3Y,4-5Y,6-7Y",
        "kids tshirt,shorts set",
    ),
]

FEMALE_FIRST = [
    "Nusrat",
    "Farzana",
    "Sadia",
    "Tasnim",
    "Sumaiya",
    "Jannatul",
    "Sharmin",
    "Ayesha",
    "Fatema",
    "Rumana",
    "Tania",
    "Shirin",
    "Nasrin",
    "Mahmuda",
    "Israt",
    "Sabrina",
    "Afroza",
    "Lamia",
    "Anika",
    "Tahmina",
    "Sanjida",
    "Mousumi",
    "Rokeya",
    "Mim",
    "Nadia",
    "Sharmeen",
]
FEMALE_LAST = [
    "Akter",
    "Jahan",
    "Islam",
    "Rahman",
    "Sultana",
    "Begum",
    "Khatun",
    "Haque",
    "Chowdhury",
    "Hossain",
    "Ferdous",
    "Nahar",
]
MALE_FIRST = [
    "Md. Rakibul",
    "Tanvir",
    "Sabbir",
    "Arif",
    "Shakil",
    "Imran",
    "Mahmudul",
    "Rafiqul",
    "Jahid",
    "Nayeem",
    "Sohel",
    "Fahim",
    "Asif",
    "Rasel",
    "Mehedi",
    "Rubel",
    "Shuvo",
    "Anik",
    "Sajid",
    "Tamim",
    "Ridwan",
    "Saiful",
    "Md. Kamrul",
    "Md. Shahadat",
]
MALE_LAST = [
    "Islam",
    "Hossain",
    "Rahman",
    "Ahmed",
    "Hasan",
    "Khan",
    "Chowdhury",
    "Mia",
    "Uddin",
    "Alam",
    "Sarker",
    "Bhuiyan",
    "Talukder",
    "Molla",
]
HINDU_FEMALE_FIRST = ["Dipa", "Mitu", "Shampa", "Rina", "Puja", "Ananya", "Tumpa", "Moumita"]
HINDU_MALE_FIRST = ["Sujan", "Partha", "Amit", "Pranto", "Dipankar", "Sourav", "Bappi"]
HINDU_LAST = ["Das", "Saha", "Roy", "Sarkar", "Ghosh", "Dey", "Paul", "Biswas"]

DHAKA_AREAS = [
    "Mirpur 10",
    "Mirpur 2",
    "Dhanmondi",
    "Mohammadpur",
    "Uttara Sector 7",
    "Uttara Sector 11",
    "Gulshan 1",
    "Banani",
    "Bashundhara R/A",
    "Badda",
    "Rampura",
    "Khilgaon",
    "Malibagh",
    "Moghbazar",
    "Jatrabari",
    "Lalbagh",
    "Wari",
    "Shyamoli",
    "Tejgaon",
    "Mohakhali",
    "Motijheel",
    "Kalabagan",
    "Shantinagar",
    "Banasree",
]
OUTSIDE_AREAS = [
    "Agrabad, Chattogram",
    "GEC Circle, Chattogram",
    "Zindabazar, Sylhet",
    "Shaheb Bazar, Rajshahi",
    "Sonadanga, Khulna",
    "Kandirpar, Cumilla",
    "Band Road, Barishal",
    "Jahaj Company More, Rangpur",
    "Ganginarpar, Mymensingh",
    "Savar, Dhaka",
    "Chashara, Narayanganj",
    "Chowrasta, Gazipur",
    "Satmatha, Bogura",
    "Daratana, Jashore",
    "Kolatoli, Cox's Bazar",
    "Maijdee, Noakhali",
    "Trunk Road, Feni",
    "Park Bazar, Tangail",
]
COURIERS_BY_AREA = {
    "inside_dhaka": (("Pathao", "Steadfast", "RedX"), (45, 30, 25)),
    "outside_dhaka": (("Steadfast", "RedX", "Sundarban", "Paperfly"), (35, 25, 20, 20)),
}
TRACKING_FORMAT = {  # prefix, digits
    "Pathao": ("PTH", 6),
    "Steadfast": ("SF", 8),
    "RedX": ("RDX", 8),
    "Paperfly": ("PF", 8),
    "Sundarban": ("SCS", 7),
}
CATEGORY_POPULARITY = {
    "borka": 9,
    "hijab": 8,
    "three_piece": 8,
    "panjabi": 6,
    "tshirt": 7,
    "saree": 4,
    "kurti": 5,
    "shirt": 4,
    "jeans": 5,
    "footwear": 4,
    "bags": 3,
    "watches": 2,
    "cosmetics": 4,
    "jewellery": 3,
    "undergarments": 2,
    "kids": 3,
}


def product_keywords(category: str, extra: str) -> str:
    """Category words + the product's own spellings, comma-separated, without duplicates."""
    words = CATEGORY_WORDS.get(category, []) + [w.strip() for w in extra.split(",")]
    return ",".join(dict.fromkeys(w for w in words if w))


def catalogue_products(non_returnable: Sequence[str], when: dt.datetime) -> List[Product]:
    """The demo catalogue as unsaved Products."""
    products = []
    for (
        sku,
        name_bn,
        name_en,
        category,
        colour_bn,
        colour_en,
        price,
        stock,
        sizes,
        extra,
    ) in CATALOGUE:
        products.append(
            Product(
                sku=sku,
                name_bn=name_bn,
                name_en=name_en,
                keywords=product_keywords(category, extra),
                category=category,
                colour_bn=colour_bn,
                colour_en=colour_en,
                price=price,
                stock=stock,
                returnable=category not in non_returnable,
                sizes=sizes,
                created_at=when,
                updated_at=when,
            )
        )
    return products


class _Builder:
    """Builds customers and orders with one random generator, in a fixed order."""

    def __init__(self, today: dt.date, settings, products: List[Product]) -> None:
        self.rng = random.Random(SEED)
        self.today = today
        self.now = dt.datetime.combine(today, dt.time(10, 30))  # "now" in the demo world
        self.settings = settings
        self.products = products
        self.by_sku = {p.sku: p for p in products}
        self.used_phones = set(CONTRACT_PHONES)
        self.used_tracking = {"PTH123456", "SF40457123", "RDX10458777"}
        self.weights = [CATEGORY_POPULARITY.get(p.category, 1) for p in products]

    def at(self, days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.today - dt.timedelta(days=days_ago), dt.time(hour, minute))

    # -- customers -------------------------------------------------------------------------
    def phone(self) -> str:
        while True:
            prefix = self.rng.choice(("013", "014", "015", "016", "017", "017", "018", "019"))
            phone = prefix + "".join(self.rng.choice("0123456789") for _ in range(8))
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def address(self, area: str) -> str:
        rng = self.rng
        if area == "inside_dhaka":
            return (
                f"House {rng.randint(1, 120)}, Road {rng.randint(1, 27)}, "
                f"{rng.choice(DHAKA_AREAS)}, Dhaka"
            )
        return f"Holding {rng.randint(1, 450)}, {rng.choice(OUTSIDE_AREAS)}"

    def customer(self) -> Customer:
        rng = self.rng
        hindu = rng.random() < 0.1
        female = rng.random() < 0.62
        if hindu:
            first = rng.choice(HINDU_FEMALE_FIRST if female else HINDU_MALE_FIRST)
            last = rng.choice(HINDU_LAST)
        else:
            first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
            last = rng.choice(FEMALE_LAST if female else MALE_LAST)
        name = f"{first} {last}"
        area = "inside_dhaka" if rng.random() < 0.55 else "outside_dhaka"
        email = None
        if rng.random() < 0.4:
            handle = f"{first.replace('Md. ', '')}.{last}".lower()
            email = f"{handle}{rng.randint(1, 99)}@{rng.choice(('gmail.com', 'yahoo.com'))}"
        return Customer(
            name=name,
            phone=self.phone(),
            email=email,
            address=self.address(area),
            area=area,
            created_at=self.at(rng.randint(95, 700), rng.randint(9, 22)),
        )

    # -- orders ----------------------------------------------------------------------------
    def office_hours(self, moment: dt.datetime) -> dt.datetime:
        """Staff confirm, pack and hand over parcels between 10:00 and 20:00."""
        if moment.hour >= 20:
            moment += dt.timedelta(days=1)
        if not 10 <= moment.hour < 20:
            moment = moment.replace(hour=10, minute=self.rng.randint(0, 59))
        return moment

    def tracking(self, courier: str) -> str:
        prefix, digits = TRACKING_FORMAT[courier]
        while True:
            code = prefix + "".join(self.rng.choice("0123456789") for _ in range(digits))
            if code not in self.used_tracking:
                self.used_tracking.add(code)
                return code

    def items(self) -> List[OrderItem]:
        rng = self.rng
        count = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        chosen: List[Product] = []
        while len(chosen) < count:
            product = rng.choices(self.products, weights=self.weights)[0]
            if product not in chosen:
                chosen.append(product)
        return [
            OrderItem(
                product=p,
                quantity=rng.choices((1, 2), weights=(85, 15))[0],
                unit_price=p.price,
                size=rng.choice(p.sizes.split(",")) if p.sizes else None,
                colour=p.colour_en,
            )
            for p in chosen
        ]

    def priced(self, order: Order) -> Order:
        order.subtotal = sum(i.quantity * i.unit_price for i in order.items)
        free_above = int(self.settings.delivery.get("free_delivery_above") or 0)
        free = free_above and order.subtotal >= free_above
        order.delivery_charge = 0 if free else self.settings.delivery_charge(order.delivery_area)
        order.total = order.subtotal + order.delivery_charge
        return order

    def order(self, number: str, customer: Customer, placed_at: dt.datetime) -> Order:
        """A random order whose status follows from its timeline up to ``self.now``."""
        rng = self.rng
        area = customer.area
        phone = customer.phone if rng.random() < 0.95 else self.phone()
        method = rng.choices(("cod", "bkash", "nagad", "card"), weights=(62, 22, 11, 5))[0]
        order = Order(
            number=number,
            customer=customer,
            phone=phone,
            delivery_area=area,
            address=customer.address,
            payment_method=method,
            placed_at=placed_at,
            items=self.items(),
        )
        self.priced(order)
        days_max = int(self.settings.delivery[area]["days_max"])
        hours = dt.timedelta(hours=1)
        confirmed = self.office_hours(placed_at + rng.randint(1, 3) * hours)
        packed = self.office_hours(confirmed + rng.randint(3, 20) * hours)
        shipped = self.office_hours(packed + rng.randint(2, 8) * hours)
        transit_days = rng.randint(1, days_max) + (rng.randint(2, 4) if rng.random() < 0.08 else 0)
        delivered = dt.datetime.combine(
            (shipped + dt.timedelta(days=transit_days)).date(), dt.time(rng.randint(11, 20))
        )
        out_for_delivery = delivered.replace(hour=rng.randint(8, 10), minute=rng.randint(0, 59))
        order.expected_delivery = shipped.date() + dt.timedelta(days=days_max)
        order.payment_status = "pending" if method == "cod" else "paid"

        cancelled = placed_at + rng.randint(1, 20) * hours
        if rng.random() < 0.08 and cancelled <= self.now:
            order.status, order.cancelled_at, order.expected_delivery = "cancelled", cancelled, None
            order.confirmed_at = confirmed if confirmed < cancelled else None
            if method != "cod":
                self.cancellation_refund(order)
            return order

        timeline = [
            ("placed", placed_at),
            ("confirmed", confirmed),
            ("packed", packed),
            ("shipped", shipped),
            ("out_for_delivery", out_for_delivery),
            ("delivered", delivered),
        ]
        order.status = [s for s, t in timeline if t <= self.now][-1]
        for status, column in (
            ("confirmed", "confirmed_at"),
            ("packed", "packed_at"),
            ("shipped", "shipped_at"),
            ("delivered", "delivered_at"),
        ):
            if dict(timeline)[status] <= self.now:
                setattr(order, column, dict(timeline)[status])
        if order.packed_at:
            weights = COURIERS_BY_AREA[area]
            order.courier = rng.choices(weights[0], weights=weights[1])[0]
            order.tracking_code = self.tracking(order.courier)
        if order.status == "delivered":
            order.payment_status = "paid"
            recent = (self.now - order.delivered_at).days <= self.settings.return_window_days
            if rng.random() < (0.25 if recent else 0.08):
                self.return_request(order)
        return order

    def cancellation_refund(self, order: Order) -> None:
        created = order.cancelled_at
        done = created + dt.timedelta(days=self.rng.randint(2, 6))
        refund = Refund(
            amount=order.total,
            method=order.payment_method,
            created_at=created,
            expected_by=created.date() + dt.timedelta(days=self.settings.refund_days),
            account=mask_phone(order.phone) if order.payment_method != "card" else None,
        )
        if done <= self.now:
            refund.status, refund.completed_at = "completed", done
            order.payment_status = "refunded"
        else:
            refund.status = "pending"
            order.payment_status = "refund_pending"
        order.refunds.append(refund)

    def return_request(self, order: Order) -> None:
        rng = self.rng
        returnable = [i for i in order.items if i.product.returnable]
        created = order.delivered_at + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
        if not returnable or created > self.now:
            return
        age = (self.now - created).days
        if rng.random() < 0.15 and age >= 1:
            status = "rejected"
        else:
            status = (
                ("requested", "approved", "picked_up", "received", "received", "refunded")[
                    min(age, 5)
                ]
                if age < 6
                else "refunded"
            )
        request = ReturnRequest(
            reference=f"RT-{order.number}-1",
            reason=rng.choice(
                (
                    "wrong_size_or_colour",
                    "wrong_size_or_colour",
                    "damaged",
                    "not_as_described",
                    "changed_mind",
                )
            ),
            details=None,
            status=status,
            channel=rng.choice(("facebook", "web", "telegram")),
            created_at=created,
            updated_at=created + dt.timedelta(days=min(age, 6)),
        )
        order.return_requests.append(request)
        if status not in ("received", "refunded"):
            return
        order.status = "returned"
        amount = sum(i.quantity * i.unit_price for i in returnable)
        method = order.payment_method if order.payment_method != "cod" else "bkash"
        refund = Refund(
            amount=amount,
            method=method,
            return_request=request,
            account=mask_phone(order.phone) if method != "card" else None,
            created_at=created + dt.timedelta(days=3),
            expected_by=(created + dt.timedelta(days=3)).date()
            + dt.timedelta(days=self.settings.refund_days),
        )
        if status == "refunded":
            refund.status, refund.completed_at = "completed", created + dt.timedelta(days=5)
            order.payment_status = "refunded"
        else:
            refund.status = "processing"
            order.payment_status = "refund_pending"
        order.refunds.append(refund)

    # -- contract orders -------------------------------------------------------------------
    def item(self, sku: str, quantity: int = 1, size: Optional[str] = None) -> OrderItem:
        p = self.by_sku[sku]
        return OrderItem(
            product=p, quantity=quantity, unit_price=p.price, size=size, colour=p.colour_en
        )

    def contract_orders(self) -> List[Order]:
        today, at = self.today, self.at
        c = [
            Customer(
                name="Nusrat Jahan",
                phone=CONTRACT_PHONES[0],
                area="inside_dhaka",
                address="House 12, Road 3, Mirpur 10, Dhaka",
                email="nusrat.jahan@gmail.com",
            ),
            Customer(
                name="Sadia Islam",
                phone=CONTRACT_PHONES[1],
                area="inside_dhaka",
                address="House 45, Road 9/A, Dhanmondi, Dhaka",
            ),
            Customer(
                name="Rakibul Hasan",
                phone=CONTRACT_PHONES[2],
                area="outside_dhaka",
                address="Holding 118, Agrabad, Chattogram",
            ),
            Customer(
                name="Farzana Akter",
                phone=CONTRACT_PHONES[3],
                area="inside_dhaka",
                address="House 7, Road 11, Uttara Sector 7, Dhaka",
            ),
            Customer(
                name="Mahmudul Hasan",
                phone=CONTRACT_PHONES[4],
                area="inside_dhaka",
                address="House 22, Road 2, Mohammadpur, Dhaka",
            ),
        ]
        for i, customer in enumerate(c):
            customer.created_at = at(200 + 30 * i, 12)

        def order(number: str, customer: Customer, **kw) -> Order:
            return Order(
                number=number,
                customer=customer,
                phone=customer.phone,
                delivery_area=customer.area,
                address=customer.address,
                **kw,
            )

        orders = [
            order(
                "10456",
                c[0],
                status="shipped",
                courier="Pathao",
                tracking_code="PTH123456",
                payment_method="cod",
                payment_status="pending",
                placed_at=at(4, 14, 20),
                confirmed_at=at(4, 17, 5),
                packed_at=at(3, 11, 30),
                shipped_at=at(2, 10, 30),
                expected_delivery=today + dt.timedelta(days=2),
                items=[self.item("PNJ-001", 1, "L")],
            ),
            order(
                "10457",
                c[1],
                status="delivered",
                courier="Steadfast",
                tracking_code="SF40457123",
                payment_method="cod",
                payment_status="paid",
                placed_at=at(7, 21, 10),
                confirmed_at=at(6, 10, 15),
                packed_at=at(6, 16, 0),
                shipped_at=at(5, 11, 0),
                delivered_at=at(3, 16, 40),
                expected_delivery=today - dt.timedelta(days=3),
                items=[self.item("BRK-001", 1, "54")],
            ),
            order(
                "10458",
                c[2],
                status="delivered",
                courier="RedX",
                tracking_code="RDX10458777",
                payment_method="cod",
                payment_status="paid",
                placed_at=at(45, 19, 0),
                confirmed_at=at(45, 21, 30),
                packed_at=at(44, 12, 0),
                shipped_at=at(44, 18, 0),
                delivered_at=at(40, 15, 20),
                expected_delivery=today - dt.timedelta(days=39),
                items=[self.item("SHT-002", 1, "L"), self.item("JNS-001", 1, "32")],
            ),
            order(
                "10459",
                c[3],
                status="confirmed",
                payment_method="bkash",
                payment_status="paid",
                placed_at=at(1, 18, 40),
                confirmed_at=at(1, 21, 5),
                expected_delivery=today + dt.timedelta(days=1),
                items=[self.item("TPC-002", 1, "L"), self.item("HJB-001", 1)],
            ),
            order(
                "10460",
                c[4],
                status="cancelled",
                payment_method="bkash",
                payment_status="refund_pending",
                placed_at=at(2, 13, 0),
                confirmed_at=at(2, 15, 30),
                cancelled_at=at(1, 10, 0),
                items=[self.item("HJB-003", 2)],
            ),
        ]
        for o in orders:
            self.priced(o)
            o.updated_at = max(
                t
                for t in (
                    o.placed_at,
                    o.confirmed_at,
                    o.packed_at,
                    o.shipped_at,
                    o.delivered_at,
                    o.cancelled_at,
                )
                if t
            )
        assert orders[4].total == 1250, "contract: order 10460 totals 1250 BDT"
        orders[4].refunds.append(
            Refund(
                amount=1250,
                method="bkash",
                account=mask_phone(CONTRACT_PHONES[4]),
                status="pending",
                created_at=at(1, 10, 0),
                expected_by=today
                - dt.timedelta(days=1)
                + dt.timedelta(days=self.settings.refund_days),
            )
        )
        return orders

    def random_orders(self) -> Tuple[List[Customer], List[Order]]:
        rng = self.rng
        customers = [self.customer() for _ in range(N_CUSTOMERS - len(CONTRACT_PHONES))]
        past = len(RANDOM_NUMBERS) - N_RECENT
        moments = sorted(
            self.at(rng.randint(2, 90), rng.randint(8, 23), rng.randint(0, 59)) for _ in range(past)
        )
        moments += sorted(
            self.at(1, rng.randint(8, 23), rng.randint(0, 59)) for _ in range(N_RECENT)
        )
        orders = []
        for number, placed_at in zip(RANDOM_NUMBERS, moments, strict=True):
            customer = rng.choice(customers)
            order = self.order(number, customer, placed_at)
            order.updated_at = max(
                t
                for t in (
                    order.placed_at,
                    order.confirmed_at,
                    order.packed_at,
                    order.shipped_at,
                    order.delivered_at,
                    order.cancelled_at,
                )
                if t
            )
            orders.append(order)
        return customers, orders


def load_demo_data(
    session: Session, today: Optional[dt.date] = None, settings=None
) -> Dict[str, int]:
    """Load the demo catalogue, customers and orders if the products table is empty.

    Returns how many rows were added per table (all zero when data was already there).
    """
    counts = dict.fromkeys(
        ("products", "customers", "orders", "order_items", "return_requests", "refunds"), 0
    )
    if session.execute(select(func.count(Product.id))).scalar():
        return counts
    if settings is None:
        from seba.settings import load_settings

        settings = load_settings()
    today = today or local_today()
    products = catalogue_products(
        settings.non_returnable_categories,
        dt.datetime.combine(today, dt.time(9)) - dt.timedelta(days=180),
    )
    session.add_all(products)
    session.flush()
    builder = _Builder(today, settings, products)
    contract = builder.contract_orders()
    customers, orders = builder.random_orders()
    session.add_all(contract + orders)
    session.flush()
    all_orders = contract + orders
    counts.update(
        products=len(products),
        customers=len(customers) + len(contract),
        orders=len(all_orders),
        order_items=sum(len(o.items) for o in all_orders),
        return_requests=sum(len(o.return_requests) for o in all_orders),
        refunds=sum(len(o.refunds) for o in all_orders),
    )
    return counts
