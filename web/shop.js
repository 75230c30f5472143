/* Seba Fashion House demo page: product cards, the Bangla/English switch and
   the buttons that talk to the chat bubble (window.SebaBubble, seba-bubble.js).
   The switch sets <html lang>; the bubble follows it and sends the language
   with every message. */
(function () {
  'use strict';

  var LANG_KEY = 'seba.pageLanguage';

  var TEXT = {
    bn: {
      pageTitle: 'সেবা ফ্যাশন হাউস — বোরকা, পাঞ্জাবি, শাড়ি, থ্রি পিস',
      strip: 'সারা বাংলাদেশে ক্যাশ অন ডেলিভারি · ঢাকার ভেতরে ডেলিভারি চার্জ ৳ ৭০ · ৳ ৩,০০০ এর বেশি কেনাকাটায় ডেলিভারি ফ্রি',
      shopName: 'সেবা ফ্যাশন হাউস',
      tagline: 'দেশি পোশাক, ন্যায্য দাম',
      navNew: 'নতুন কালেকশন', navWomen: 'নারী', navMen: 'পুরুষ', navHelp: 'সাহায্য',
      switchTo: 'English',
      eyebrow: 'ঈদ কালেকশন ২০২৫',
      heroTitle: 'উৎসবের সাজ, ঘরে বসেই',
      heroLead: 'বোরকা, পাঞ্জাবি, জামদানি শাড়ি আর থ্রি পিস — দেশের তাঁতি ও কারিগরদের হাতে তৈরি। অর্ডার করুন আজই, টাকা দিন হাতে পেয়ে।',
      heroShop: 'কালেকশন দেখুন',
      heroTrack: 'অর্ডার কোথায়? সেবাকে জিজ্ঞেস করুন',
      f1t: 'ক্যাশ অন ডেলিভারি', f1d: 'পণ্য হাতে পেয়ে টাকা দিন',
      f2t: 'দ্রুত ডেলিভারি', f2d: 'ঢাকায় ১–২ দিন, ঢাকার বাইরে ৩–৫ দিন',
      f3t: '৭ দিনে সহজ রিটার্ন', f3d: 'সাইজ না মিললে বদলে নিন',
      f4t: '২৪ ঘণ্টা চ্যাট', f4d: 'বাংলা, English বা Banglish — যেভাবে খুশি লিখুন',
      productsTitle: 'জনপ্রিয় পণ্য',
      productsLead: 'প্রতিটি পণ্যের দাম, সাইজ বা স্টক জানতে “সেবাকে জিজ্ঞেস করুন” চাপুন।',
      addToCart: 'কার্টে যোগ করুন',
      askSeba: 'সেবাকে জিজ্ঞেস করুন',
      added: 'কার্টে যোগ হয়েছে (ডেমো দোকান)',
      helpTitle: 'অর্ডার কোথায় আছে জানতে চান?',
      helpLead: 'ডান দিকের নিচে চ্যাট বাটনে চাপ দিন, অর্ডার নম্বর আর অর্ডারের ফোন নম্বর লিখুন — সেবা সাথে সাথে অবস্থা ও ট্র্যাকিং কোড জানিয়ে দেবে। রিটার্ন, ডেলিভারি চার্জ, পেমেন্ট — সব প্রশ্নেরই উত্তর পাবেন।',
      ex1: '“আমার অর্ডার ১০৪৫৬ কোথায়?”',
      ex2: '“ঢাকার বাইরে ডেলিভারি চার্জ কত?”',
      ex3: '“amar order ta return dite chai”',
      helpOpen: 'চ্যাট শুরু করুন',
      trackQuestion: 'আমার অর্ডার কোথায়?',
      address: 'বাড়ি ১২, রোড ৫, ধানমন্ডি, ঢাকা ১২০৫',
      phoneLabel: 'ফোন', emailLabel: 'ইমেইল',
      hours: 'প্রতিদিন সকাল ১০টা – রাত ১০টা',
      payments: 'বিকাশ · নগদ · কার্ড · ক্যাশ অন ডেলিভারি',
      demoNote: 'এটি সেবা (Seba) চ্যাট সহকারীর একটি ডেমো দোকান; এখানে কেনাকাটা হয় না।',
      chatOffline: 'চ্যাট এই মুহূর্তে চালু নেই। ফোন করুন: 09678-123456'
    },
    en: {
      pageTitle: 'Seba Fashion House — borka, panjabi, saree, three piece',
      strip: 'Cash on delivery all over Bangladesh · Delivery inside Dhaka BDT 70 · Free delivery above BDT 3,000',
      shopName: 'Seba Fashion House',
      tagline: 'Deshi clothing, fair prices',
      navNew: 'New collection', navWomen: 'Women', navMen: 'Men', navHelp: 'Help',
      switchTo: 'বাংলা',
      eyebrow: 'Eid collection 2025',
      heroTitle: 'Dress up for the festival, from home',
      heroLead: 'Borkas, panjabis, Jamdani sarees and three pieces — made by weavers and tailors across the country. Order today, pay when it arrives.',
      heroShop: 'See the collection',
      heroTrack: 'Where is my order? Ask Seba',
      f1t: 'Cash on delivery', f1d: 'Pay when the parcel is in your hands',
      f2t: 'Fast delivery', f2d: '1–2 days in Dhaka, 3–5 days outside',
      f3t: 'Easy 7-day returns', f3d: 'Wrong size? Exchange it',
      f4t: 'Chat 24/7', f4d: 'Write in Bangla, English or Banglish',
      productsTitle: 'Popular now',
      productsLead: 'Tap “Ask Seba” for the price, sizes or stock of any item.',
      addToCart: 'Add to cart',
      askSeba: 'Ask Seba',
      added: 'Added to cart (demo shop)',
      helpTitle: 'Where is your order?',
      helpLead: 'Tap the chat button at the bottom right and give your order number and the phone number on the order — Seba tells you its status and tracking code right away. Returns, delivery charges, payments: just ask.',
      ex1: '“Where is my order 10456?”',
      ex2: '“What is the delivery charge outside Dhaka?”',
      ex3: '“amar order ta return dite chai”',
      helpOpen: 'Start a chat',
      trackQuestion: 'Where is my order?',
      address: 'House 12, Road 5, Dhanmondi, Dhaka 1205',
      phoneLabel: 'Phone', emailLabel: 'Email',
      hours: 'Every day, 10 am – 10 pm',
      payments: 'bKash · Nagad · Card · Cash on delivery',
      demoNote: 'A demo shop for the Seba chat assistant; nothing is sold here.',
      chatOffline: 'Chat is offline right now. Call us: 09678-123456'
    }
  };

  // One catalogue, two languages (names follow the bot's product lookup).
  var PRODUCTS = [
    { id: 'borka', img: 'img/borka.svg', price: 2450, was: 2950,
      name: { bn: 'কালো জর্জেট বোরকা', en: 'Black georgette borka' },
      note: { bn: 'সাইজ ৫০–৫৮ · হিজাবসহ', en: 'Sizes 50–58 · with hijab' },
      ask: { bn: 'কালো বোরকা স্টকে আছে? দাম কত?', en: 'Is the black borka in stock? How much is it?' } },
    { id: 'panjabi', img: 'img/panjabi.svg', price: 1650,
      name: { bn: 'সাদা সুতি পাঞ্জাবি', en: 'White cotton panjabi' },
      note: { bn: 'সাইজ M–XXL · এমব্রয়ডারি', en: 'Sizes M–XXL · embroidered' },
      ask: { bn: 'পাঞ্জাবি XL সাইজ আছে?', en: 'Do you have the panjabi in XL?' } },
    { id: 'saree', img: 'img/saree.svg', price: 5800,
      name: { bn: 'লাল জামদানি শাড়ি', en: 'Red Jamdani saree' },
      note: { bn: 'হাফ সিল্ক · ব্লাউজ পিস সহ', en: 'Half silk · with blouse piece' },
      ask: { bn: 'লাল শাড়ি স্টকে আছে?', en: 'Is the red saree available?' } },
    { id: 'three-piece', img: 'img/three-piece.svg', price: 1950, was: 2200,
      name: { bn: 'গোলাপি সুতি থ্রি পিস', en: 'Pink cotton three piece' },
      note: { bn: 'আনস্টিচড · ওড়না সহ', en: 'Unstitched · with orna' },
      ask: { bn: 'গোলাপি থ্রি পিসের কাপড় কেমন?', en: 'What is the fabric of the pink three piece?' } },
    { id: 'hijab', img: 'img/hijab.svg', price: 390,
      name: { bn: 'কালো জর্জেট হিজাব', en: 'Black georgette hijab' },
      note: { bn: '৬টি রঙে', en: 'In 6 colours' },
      ask: { bn: 'কালো হিজাব কয় পিস আছে?', en: 'How many black hijabs are in stock?' } },
    { id: 'kurti', img: 'img/kurti.svg', price: 1250,
      name: { bn: 'নীল ব্লক-প্রিন্ট কুর্তি', en: 'Blue block-print kurti' },
      note: { bn: 'সাইজ S–XL · সুতি', en: 'Sizes S–XL · cotton' },
      ask: { bn: 'কুর্তি কোন কোন কালারে পাওয়া যায়?', en: 'What colours does the kurti come in?' } }
  ];

  var BN_DIGITS = '০১২৩৪৫৬৭৮৯';
  function bnDigits(s) {
    return String(s).replace(/[0-9]/g, function (d) { return BN_DIGITS[+d]; });
  }
  // 2450 -> "৳ ২,৪৫০" (bn) / "BDT 2,450" (en); South Asian grouping (1,25,000).
  function money(amount, lang) {
    var s = String(Math.round(amount));
    var last3 = s.slice(-3);
    var rest = s.slice(0, -3);
    var grouped = rest ? rest.replace(/\B(?=(\d{2})+(?!\d))/g, ',') + ',' + last3 : last3;
    return lang === 'en' ? 'BDT ' + grouped : '৳ ' + bnDigits(grouped);
  }
  function count(n, lang) { return lang === 'en' ? String(n) : bnDigits(n); }

  function storedLang() {
    try { return localStorage.getItem(LANG_KEY); } catch (e) { return null; }
  }
  var lang = storedLang() === 'en' ? 'en' : 'bn';
  var cart = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function renderProducts() {
    var grid = document.getElementById('product-grid');
    grid.textContent = '';
    PRODUCTS.forEach(function (p) {
      var card = el('article', 'card');
      card.setAttribute('data-product', p.id);
      var pic = el('div', 'card-pic');
      var img = el('img');
      img.src = p.img; img.alt = p.name[lang]; img.width = 240; img.height = 260; img.loading = 'lazy';
      pic.appendChild(img);
      if (p.was) {
        var off = Math.round(100 * (p.was - p.price) / p.was);
        pic.appendChild(el('span', 'badge', lang === 'en' ? off + '% off' : bnDigits(off) + '% ছাড়'));
      }
      card.appendChild(pic);
      var body = el('div', 'card-body');
      body.appendChild(el('h3', null, p.name[lang]));
      body.appendChild(el('p', 'note', p.note[lang]));
      var price = el('p', 'price');
      price.appendChild(el('strong', null, money(p.price, lang)));
      if (p.was) price.appendChild(el('s', null, money(p.was, lang)));
      body.appendChild(price);
      var buttons = el('div', 'card-actions');
      var add = el('button', 'btn btn-primary btn-small', TEXT[lang].addToCart);
      add.type = 'button';
      add.addEventListener('click', function () {
        cart += 1;
        document.getElementById('cart-count').textContent = count(cart, lang);
        toast(TEXT[lang].added);
      });
      var ask = el('button', 'btn btn-ghost btn-small ask', TEXT[lang].askSeba);
      ask.type = 'button';
      ask.addEventListener('click', function () { askSeba(p.ask[lang]); });
      buttons.appendChild(add);
      buttons.appendChild(ask);
      body.appendChild(buttons);
      card.appendChild(body);
      grid.appendChild(card);
    });
  }

  function applyLanguage(next) {
    lang = next === 'en' ? 'en' : 'bn';
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
    document.documentElement.lang = lang; // the bubble follows <html lang>
    document.title = TEXT[lang].pageTitle;
    var nodes = document.querySelectorAll('[data-i18n]');
    for (var i = 0; i < nodes.length; i += 1) {
      var key = nodes[i].getAttribute('data-i18n');
      if (TEXT[lang][key] != null) nodes[i].textContent = TEXT[lang][key];
    }
    document.getElementById('cart-count').textContent = count(cart, lang);
    renderProducts();
  }

  var toastTimer = null;
  function toast(message) {
    var t = document.getElementById('toast');
    t.textContent = message;
    t.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.classList.remove('show'); }, 2600);
  }

  function bubble() { return window.SebaBubble; }

  function withBubble(fn) {
    var b = bubble();
    if (!b) { toast(TEXT[lang].chatOffline); return; }
    b.ready.then(function () {
      if (!b.isConnected()) { toast(TEXT[lang].chatOffline); return; }
      fn(b);
    }, function () { toast(TEXT[lang].chatOffline); });
  }
  function askSeba(text) { withBubble(function (b) { b.ask(text); }); }
  function openSeba() { withBubble(function (b) { b.open(); }); }

  document.getElementById('lang-switch').addEventListener('click', function () {
    applyLanguage(lang === 'bn' ? 'en' : 'bn');
  });
  document.getElementById('hero-track').addEventListener('click', function () {
    askSeba(TEXT[lang].trackQuestion);
  });
  document.getElementById('help-open').addEventListener('click', openSeba);

  applyLanguage(lang);
})();
