# dsn.sh - a sample bounce for the tests (sourced; defines dsn only).

# dsn ADDRESS STATUS DIAGNOSTIC [ACTION] [MESSAGE_ID] [TO] - an RFC 3464
# report from mx.remote.example about ADDRESS, with the returned message,
# sent to TO (default bounces@bounces.example.com)
dsn() {
	cat <<MSG
From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)
To: ${6:-bounces@bounces.example.com}
Subject: Undelivered Mail Returned to Sender
Message-ID: <${5:-$$.${n:-0}}@mx.remote.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.remote.example.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.remote.example

Final-Recipient: rfc822; $1
Action: ${4:-failed}
Status: $2
Remote-MTA: dns; mx.remote.example
Diagnostic-Code: smtp; $3

--B
Content-Type: message/rfc822

From: News <news@news.example.com>
To: $1
Subject: hello

hi
--B--
MSG
}
