#!/usr/bin/perl
# hostile-gen.pl - hostile bounce messages, generated at test time.
#
#   perl hostile-gen.pl KIND RECIPIENT > message
#
# KIND is one of:
#   big        a valid DSN whose returned message carries 50 MB of text
#   parts      a valid DSN followed by 10,000 more MIME parts
#   deep       MIME multiparts nested 1,000 deep, the DSN innermost
#   longhdr    a valid DSN with a 1 MB Subject: line and a 1 MB
#              Diagnostic-Code continuation line
#   binary     a DSN full of invalid UTF-8 and NUL bytes, in its headers,
#              its report and its delivery-status fields
#   backtrack  a DSN whose diagnostic and report text are crafted to make
#              nested regular-expression quantifiers backtrack
#   rcpts      one DSN reporting 100,000 failed recipients, RECIPIENT first
#   tiny       a million empty MIME parts, then the report (7 MB)
#   fields     two million header fields, then the report (8 MB)
#
# Each message names RECIPIENT (the address the VERP stamp is for) as a
# failed recipient where the format allows it, so that a pipe that gets
# through the message records it.
use strict;
use warnings;

my ($kind, $rcpt) = @ARGV;
die "usage: hostile-gen.pl KIND RECIPIENT\n" unless defined $rcpt;
binmode STDOUT;

# head - the top-level header block of a report
sub head {
	my ($subject, $boundary) = @_;
	return "From: MAILER-DAEMON\@mx.remote.example (Mail Delivery System)\n"
	    . "To: bounces\@bounces.example.com\n"
	    . "Subject: $subject\n"
	    . "Message-ID: <hostile-$kind\@mx.remote.example>\n"
	    . "MIME-Version: 1.0\n"
	    . "Content-Type: multipart/report; report-type=delivery-status;"
	    . " boundary=\"$boundary\"\n\n";
}

# status - one message/delivery-status part's body
sub status {
	my ($diag, @rcpts) = @_;
	my $s = "Reporting-MTA: dns; mx.remote.example\n\n";
	$s .= "Final-Recipient: rfc822; $_\nAction: failed\nStatus: 5.1.1\n"
	    . "Remote-MTA: dns; mx.remote.example\n"
	    . "Diagnostic-Code: smtp; $diag\n\n" for @rcpts;
	return $s;
}

# report - the text and delivery-status parts of a report, no closing line
sub report {
	my ($b, $diag, @rcpts) = @_;
	return "--$b\nContent-Type: text/plain\n\n"
	    . "This is the mail system at host mx.remote.example.\n\n"
	    . "--$b\nContent-Type: message/delivery-status\n\n"
	    . status($diag, @rcpts);
}

my $unknown = "550 5.1.1 <$rcpt>: Recipient address rejected: User unknown";

if ($kind eq 'big') {
	print head("Undelivered Mail Returned to Sender", "B"),
	    report("B", $unknown, $rcpt),
	    "--B\nContent-Type: message/rfc822\n\n",
	    "From: news\@news.example.com\nTo: $rcpt\nSubject: big\n\n";
	my $line = ("x" x 76) . "\n";
	print $line x 13797 for 1 .. 50;	# 50 x 1,048,572 bytes
	print "--B--\n";
} elsif ($kind eq 'parts') {
	print head("Undelivered Mail Returned to Sender", "B"),
	    report("B", $unknown, $rcpt);
	print "--B\nContent-Type: text/plain\n\npart $_\n" for 1 .. 10000;
	print "--B--\n";
} elsif ($kind eq 'deep') {
	print "From: MAILER-DAEMON\@mx.remote.example\n",
	    "To: bounces\@bounces.example.com\n",
	    "Subject: Undelivered Mail Returned to Sender\n",
	    "MIME-Version: 1.0\n",
	    "Content-Type: multipart/mixed; boundary=\"D0\"\n\n";
	for my $i (1 .. 999) {
		print "--D", $i - 1, "\n",
		    "Content-Type: multipart/mixed; boundary=\"D$i\"\n\n";
	}
	print "--D999\nContent-Type: multipart/report;",
	    " report-type=delivery-status; boundary=\"B\"\n\n",
	    report("B", $unknown, $rcpt), "--B--\n";
	print "--D$_--\n" for reverse 0 .. 999;
} elsif ($kind eq 'longhdr') {
	my $long = "y" x (1024 * 1024);
	print head("Undelivered $long", "B"),
	    "--B\nContent-Type: text/plain\n\nThe mail system\n\n",
	    "--B\nContent-Type: message/delivery-status\n\n",
	    "Reporting-MTA: dns; mx.remote.example\n\n",
	    "Final-Recipient: rfc822; $rcpt\nAction: failed\nStatus: 5.1.1\n",
	    "Diagnostic-Code: smtp; $unknown\n $long\n\n",
	    "--B--\n";
} elsif ($kind eq 'binary') {
	my $junk = join '', map { chr } (0, 0xff, 0xfe, 0xc3, 0x28, 0xa0,
	    0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xed, 0xa0, 0x80,
	    0xc0, 0xaf, 0);
	print head("Undelivered $junk Mail", "B"),
	    "--B\nContent-Type: text/plain; charset=utf-8\n\n",
	    "The mail system $junk could not deliver.\n\0\0\0\n",
	    "--B\nContent-Type: message/delivery-status\n\n",
	    "Reporting-MTA: dns; mx.$junk.example\n\n",
	    "Final-Recipient: rfc822; $rcpt\nAction: failed\nStatus: 5.1.1\n",
	    "Diagnostic-Code: smtp; $unknown $junk\n\n",
	    "--B\nContent-Type: text/plain; charset=iso-2022-jp\n\n",
	    "\x1b\$B$junk\x1b(B\0\n",
	    "--B--\n";
} elsif ($kind eq 'backtrack') {
	# Runs that patterns such as "(\w+\s?)+$" and "(a|aa)+$" try every
	# way of splitting, each ending so that they cannot match; the
	# diagnostic stays under the 1000 bytes the parser keeps of it.
	my $words = join(' ', ('mailbox') x 60) . ' ' . ('a' x 300) . '!';
	print head("Undelivered Mail Returned to Sender", "B"),
	    "--B\nContent-Type: text/plain\n\n",
	    ("$words\n") x 200, "\n",
	    "--B\nContent-Type: message/delivery-status\n\n",
	    status("550 $words", $rcpt),
	    "--B--\n";
} elsif ($kind eq 'rcpts') {
	# Short recipient blocks, so that the whole report (about 6 MB)
	# stays under the default max_message_size.
	print head("Undelivered Mail Returned to Sender", "B"),
	    report("B", $unknown, $rcpt);
	print "Final-Recipient: rfc822; u$_\@many.example.org\n",
	    "Action: failed\nStatus: 5.1.1\n\n" for 1 .. 99999;
	print "--B--\n";
} elsif ($kind eq 'tiny') {
	print "From: MAILER-DAEMON\@mx.remote.example\n",
	    "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n",
	    "Content-Type: multipart/mixed; boundary=\"B\"\n\n";
	print "--B\n\n\n" x 1000000;
	print "--B\nContent-Type: message/delivery-status\n\n",
	    status($unknown, $rcpt), "--B--\n";
} elsif ($kind eq 'fields') {
	# The header block without its empty line, then the fields.
	print substr(head("Undelivered Mail Returned to Sender", "B"), 0, -1);
	print "X: y\n" x 2000000;
	print "\n", report("B", $unknown, $rcpt), "--B--\n";
} else {
	die "hostile-gen.pl: unknown kind \"$kind\"\n";
}
