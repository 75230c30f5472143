"""Product questions: price, stock and sizes from the catalogue."""

from typing import List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SebaAction, language, latest_entity_values, latest_text, utter
from seba import i18n, shop
from seba.db import session_scope

MAX_PRODUCTS = 3


def product_reply(product, lang: str):
    values = {
        "product_name": i18n.product_name(product, lang),
        "price": i18n.money(product.price, lang),
    }
    sizes = [s.strip() for s in (product.sizes or "").split(",") if s.strip()]
    if not product.in_stock:
        return "utter_product_out_of_stock", values
    if sizes:
        values["sizes"] = i18n.number(", ".join(sizes), lang)
        return "utter_product_in_stock", values
    return "utter_product_in_stock_no_sizes", values


class ActionProductInfo(SebaAction):
    """The product entity (lookup table) or else the whole message, matched in the DB."""

    def name(self) -> Text:
        return "action_product_info"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        lang = language(tracker)
        mentions = [str(v) for v in latest_entity_values(tracker, "product")]
        with session_scope() as session:
            products = []
            if mentions:
                products = shop.find_products(session, " ".join(mentions), limit=MAX_PRODUCTS)
            if not products:
                products = shop.find_products(session, latest_text(tracker), limit=MAX_PRODUCTS)
            replies = [product_reply(p, lang) for p in products]
        if not replies:
            dispatcher.utter_message(response="utter_product_not_found")
            return []
        if len(replies) > 1:
            dispatcher.utter_message(response="utter_product_several")
        for response, values in replies:
            utter(dispatcher, response, **values)
        return []
