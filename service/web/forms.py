"""The forms on the site. Flask-WTF adds and checks the CSRF token on each."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired()])


class CheckForm(FlaskForm):
    image = FileField("Certificate photo", validators=[FileRequired("Take or choose a photo of the certificate.")])


class BatchForm(FlaskForm):
    archive = FileField("ZIP, PDF, TIFF or image", validators=[FileRequired("Choose the file of scanned cards.")])
