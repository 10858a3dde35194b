from hanji.sending.models import Delivery


def test_it_delivers_a_post_to_every_active_subscriber_once(
    mail_to, make_post, make_subscribers, send_now
):
    make_subscribers(20)
    make_subscribers(3, status="unsubscribed", prefix="gone")
    post = make_post(
        title="첫 번째 소식", body="안녕하세요 {{name}}님\n\n[링크](https://example.com/a)"
    )
    send = send_now(post)
    assert send.state == "sent", send.state_reason
    assert sorted(mail_to.recipients()) == sorted(f"reader{i}@example.org" for i in range(20))
    assert Delivery.objects.filter(send=send, state="sent").count() == 20
