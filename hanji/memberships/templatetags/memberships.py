from __future__ import annotations

from django import template

from hanji.memberships.notices import money as _money

register = template.Library()


@register.filter
def money(amount, currency: str = "KRW") -> str:
    return _money(int(amount or 0), currency)


@register.inclusion_tag("memberships/_footer_business.html")
def membership_business_info(publication):
    """The parts of the legally required business information that live with memberships
    (the office that issued the mail-order number, the hosting provider, the FTC link),
    read through the page cache's shared values: no query on a cached page."""
    from hanji.core.pagecache import publication_cached

    def build():
        from hanji.memberships.models import MembershipSettings

        row = (
            MembershipSettings.objects.filter(publication_id=publication.pk)
            .values("mail_order_office", "hosting_provider")
            .first()
        )
        return row or {"mail_order_office": "", "hosting_provider": ""}

    info = publication_cached(publication.pk, "membership-business", build)
    digits = "".join(c for c in publication.business_number if c.isdigit())
    return {
        **info,
        "ftc_url": f"https://www.ftc.go.kr/bizCommPop.do?wrkr_no={digits}" if digits else "",
    }
