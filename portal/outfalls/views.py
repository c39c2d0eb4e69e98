from flask import Blueprint

bp = Blueprint("outfalls", __name__)


@bp.get("/")
def home():
    return "home"
