"""Flask extensions, created unbound and initialised in the factory."""

from authlib.integrations.flask_client import OAuth
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from app.database import db

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
oauth = OAuth()
migrate = Migrate()

__all__ = ["babel", "csrf", "db", "login_manager", "migrate", "oauth"]
