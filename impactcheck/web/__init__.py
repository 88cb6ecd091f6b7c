"""The web shell: extensions, request-scoped database session, blueprints."""

from __future__ import annotations

from flask import Flask


def setup(app: Flask) -> None:
    from impactcheck.web import admin, auth, errors, exports, health, outcome, overview, register, results, wizard
    from impactcheck.web.context import init_app as init_context
    from impactcheck.web.extensions import init_extensions
    from impactcheck.web.templating import init_app as init_templating

    init_context(app)
    init_extensions(app)
    init_templating(app)
    from impactcheck.web import formtext

    formtext.init_app(app)
    errors.init_app(app)
    for module in (health, auth, wizard, results, register, exports, outcome, overview, admin):
        app.register_blueprint(module.bp)
    from impactcheck.web import municipalities  # the installation admin's pages

    app.register_blueprint(municipalities.bp)
    from impactcheck.web import councillors, verify  # /pruefen (no login), the councillors' committees

    app.register_blueprint(verify.bp)
    app.register_blueprint(councillors.bp)

    from impactcheck.web import api, tokens  # the JSON API and the page where users make its tokens

    app.register_blueprint(api.bp)
    app.register_blueprint(tokens.bp)

    from impactcheck.web import budget  # /klimabudget: the target path and the council's decisions against it

    app.register_blueprint(budget.bp)

    from impactcheck.web import report_views  # the yearly report to the council (Word), from the budget page

    app.register_blueprint(report_views.bp)

    from impactcheck.web import account  # /konto: the user's interface language

    app.register_blueprint(account.bp)

    from impactcheck.web import oparl_views  # start a check from a paper in the council information system

    app.register_blueprint(oparl_views.bp)

    # Single sign-on beside the local accounts, each on only when configured (README).
    from impactcheck.web import ldapauth, oidc

    oidc.init_app(app)
    ldapauth.init_app(app)
    app.register_blueprint(oidc.bp)
