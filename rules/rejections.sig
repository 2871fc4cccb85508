# rejections.sig - what large mailbox providers answer when they refuse mail for the
# sending server itself: no or a mismatching reverse DNS (PTR) record, a block list,
# a bad reputation, a rate limit.  Installed as SYSCONFDIR/policyd/signatures/
# rejections.sig (the default "signatures"); format and classes in policyd-signatures(5).
#
# Each line is /REGEX/FLAGS CLASS, matched (caseless) against the server's reply as
# Postfix reports it after "said:" or "refused to talk to me:" (multi-line replies
# joined with spaces, without "(in reply to ... command)").  The first match wins:
# provider lines come first, the generic RFC 7372 line last.
#
# Above every line: "# source:" says where the text is documented, "# sample:" is a
# reply of that kind; "make check" (tests/unit/test_sig) matches every sample and
# requires that the line right after it is the first to match.  Sisimai's files are
# https://github.com/sisimai/p5-sisimai (lib/Sisimai/Rhost/*.pm, lib/Sisimai/Reason/*.pm
# and the sample bounces in set-of-emails/).
#
# Not shipped: Orange's "(OFR|LPN)[0-9]*_107" (reverse DNS?) is unconfirmed.

# --- Google (Gmail, Google Workspace) ----------------------------------------------

# source: Gmail SMTP errors 550 5.7.25, https://support.google.com/a/answer/3726730,
#   quoted in sisimai lib/Sisimai/Rhost/Google.pm; verified on Postfix 3.7 (POSTFIX.md)
# sample: 550-5.7.25 [192.0.2.1] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. As a policy, Gmail does not accept messages from IPs with missing PTR records. For more information, go to https://support.google.com/mail/answer/81126#ip-practices 550 5.7.25 d2e1a72fcca58-6f6b1db3e49si1234567b3a.123 - gsmtp
# sample: 550-5.7.25 [192.0.2.1] The sending IP does not match the IP address of the hostname specified in the pointer (PTR) record. For more information, go to Email sender guidelines. 550 5.7.25 https://support.google.com/mail/answer/81126#ip-practices - gsmtp
/5\.7\.25 .*(does not have a PTR record|does not match the IP address of the hostname)/ ptr

# source: Gmail SMTP errors 421 4.7.0 / 4.7.23, https://support.google.com/a/answer/3726730,
#   quoted in sisimai lib/Sisimai/Rhost/Google.pm
# sample: 421-4.7.0 [192.0.2.1] The IP address sending this message does not have a PTR record, or the corresponding forward DNS entry does not point to the sending IP. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. For more information, go to Email sender guidelines. 421 4.7.0 - gsmtp
# sample: 421-4.7.23 The sending IP address for this message doesn't have a PTR record, or the PTR record's forward DNS entry doesn't match the sending IP address. To protect users from spam, your email has been temporarily rate limited. 421 4.7.23 - gsmtp
/4\.7\.(0|23) .*PTR record/ ptr

# source: Gmail's older 550 5.7.1 text, sisimai lib/Sisimai/Rhost/Google.pm and
#   set-of-emails/maildir/bsd/lhost-postfix-60.eml
# sample: 550-5.7.1 [192.0.2.1] The IP address sending this message does not have a PTR record setup. As a policy, Gmail does not accept messages from IPs with missing PTR records. Please visit https://support.google.com/mail/answer/81126#authentication 550 5.7.1 for more information. - gsmtp
/5\.7\.1 .*does not have a PTR record setup/ ptr

# source: Gmail SMTP errors 550 5.7.1 (IPv6), https://support.google.com/a/answer/3726730,
#   quoted in sisimai lib/Sisimai/Rhost/Google.pm
# sample: 550-5.7.1 [2001:db8::25] Our system has detected that this message does not meet IPv6 sending guidelines regarding PTR records and authentication. Please review https://support.google.com/mail/?p=IPv6AuthError 550 5.7.1 for more information. - gsmtp
/does not meet IPv6 sending guidelines regarding PTR/ ptr

# source: Gmail SMTP errors 421/550 4.7.0/5.7.1, https://support.google.com/a/answer/3726730,
#   quoted in sisimai lib/Sisimai/Rhost/Google.pm
# sample: 550-5.7.1 [192.0.2.1] Our system has detected that this message is likely suspicious due to the very low reputation of the sending IP address. To best protect our users from spam, the message has been blocked. 550 5.7.1 - gsmtp
# sample: 421-4.7.0 This message is suspicious due to the very low reputation of the sending domain. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. 421 4.7.0 https://support.google.com/mail/answer/188131 - gsmtp
/very low reputation of the sending (ip|domain)/ reputation

# source: Gmail SMTP errors 421 4.7.28 / 550 5.7.28, https://support.google.com/a/answer/3726730,
#   quoted in sisimai lib/Sisimai/Rhost/Google.pm
# sample: 421-4.7.28 [192.0.2.1] Gmail has detected an unusual rate of mail originating from your IP address 192.0.2.1. To protect our users from spam, mail has been temporarily rate limited. 421 4.7.28 https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp
# sample: 550-5.7.28 [192.0.2.1] There is an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked. 550 5.7.28 - gsmtp
/4\.7\.28 |unusual rate of unsolicited mail/ ratelimit

# --- Microsoft (Outlook.com, Hotmail, Exchange Online Protection) -----------------

# source: Outlook.com postmaster error S3140/S3150, quoted in sisimai
#   lib/Sisimai/Rhost/Microsoft.pm
# sample: 550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [AM2PEPF0001C70A.eurprd05.prod.outlook.com]
# sample: 550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [DB5PEPF00014B8E.eurprd02.prod.outlook.com]
/block list \(A?S31[45]0\)/ blocklist

# source: Exchange Online NDR 5.7.606-649 "Access denied, banned sending IP", quoted in
#   sisimai lib/Sisimai/Rhost/Microsoft.pm
# sample: 550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) [BN8NAM12FT045.eop-nam12.prod.protection.outlook.com]
/5\.7\.6(0[6-9]|[1-4][0-9]) Access denied, banned sending IP/ blocklist

# source: Outlook.com 451 4.7.650 (undocumented, seen in bounces), quoted in sisimai
#   lib/Sisimai/Rhost/Microsoft.pm
# sample: 451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [Name=Protocol Filter Agent] [AGT=PFA] [MxId=11BB1A2B3C4D5E6F] [AM4PEPF00027A5D.eurprd04.prod.outlook.com]
/4\.7\.650 .*rate limited due to IP reputation/ reputation

# source: Exchange Online NDR 5.7.25 (IPv6 senders need a PTR), quoted in sisimai
#   lib/Sisimai/Rhost/Microsoft.pm
# sample: 550 5.7.25 Access denied, the sending IPv6 address [2001:db8::25] must have a reverse DNS record. [BN8NAM12FT045.eop-nam12.prod.protection.outlook.com]
/must have a reverse DNS record/ ptr

# --- Yahoo, AOL ------------------------------------------------------------------

# source: Yahoo postmaster error codes TS01-TS03, help.yahoo.com SLN3436 (before the
#   TSS04 line: the bracketed code decides, whatever the words after it)
# sample: 421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints - 4.16.55.1; see https://help.yahoo.com/kb/postmaster/SLN3434.html
# sample: 421 4.7.0 [TS03] All messages from 192.0.2.1 will be permanently deferred; Retrying will NOT succeed. See https://help.yahoo.com/kb/postmaster/SLN3434.html
/\[TS0[1-3]\]/ reputation

# source: Yahoo error code TSS04 (https://senders.yahooinc.com/smtp-error-codes), quoted
#   in sisimai lib/Sisimai/Rhost/YahooInc.pm; help.yahoo.com SLN3436
# sample: 421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes
/\[TSS04\]|unexpected volume or user complaints/ ratelimit

# source: Yahoo error codes BL21-BL23, help.yahoo.com SLN3436, quoted in sisimai
#   lib/Sisimai/Rhost/YahooInc.pm
# sample: 553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html
# sample: 553 5.7.1 [BL23] Connections not accepted from IP addresses on Spamhaus XBL; see http://postmaster.yahoo.com/errors/550-bl23.html [550]
/\[BL2[1-3]\]|ip is in spamhaus's list/ blocklist

# --- GMX, web.de, mail.com (1&1 Mail & Media, "Nemesis"): 554 greetings -----------

# source: postmaster.gmx.com/en/error-messages ("Bad DNS PTR resource record", c=rdns);
#   the text is in sisimai lib/Sisimai/Reason/RequirePTR.pm too
# sample: 554-gmx.net (mxgmx114) Nemesis ESMTP Service not available 554-No SMTP service 554-Bad DNS PTR resource record. 554 For explanation visit https://postmaster.gmx.net/en/case?c=rdns&i=ip&v=192.0.2.1&r=1MrhUK-1tTb0k3xXq-00oWnJ
/Nemesis ESMTP Service not available.*(Bad DNS PTR resource record|c=rdns)/ ptr

# source: postmaster.gmx.com/en/error-messages ("IP address is block listed")
# sample: 554-web.de (mxweb112) Nemesis ESMTP Service not available 554-No SMTP service 554-IP address is block listed. 554 For explanation visit https://postmaster.web.de/en/case?c=ipb&i=ip&v=192.0.2.1&r=1N0nVx-1tUaZf2Kd9-00xyBQ
/Nemesis.*IP address is block listed/ blocklist

# --- T-Online (Deutsche Telekom): 554 greetings -------------------------------------

# source: spamresource.com (2020-06) and sisimai set-of-emails/maildir/bsd/lhost-exim-33.eml
# sample: 554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)
/tosa@rx\.t-online\.de.*\(BL\)/ reputation

# source: spamresource.com (2020-06): a dial-up or dynamic address, typically no or a
#   generic reverse DNS name
# sample: 554 IP=192.0.2.1 - Dialup/transient IP not allowed. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (DIAL)
/Dialup\/transient IP not allowed.*\(DIAL\)/ ptr

# --- Comcast, Cox --------------------------------------------------------------------

# source: Comcast postmaster error codes (postmaster.comcast.net/smtp-error-codes.php),
#   quoted in sisimai lib/Sisimai/Reason/RequirePTR.pm
# sample: 554 resimta-po-17v.sys.comcast.net comcast 192.0.2.1 Comcast requires that all mail servers must have a PTR record with a valid Reverse DNS entry. Learn more at https://postmaster.comcast.net/smtp-error-codes.php#RL000001
/Comcast requires that all mail servers must have a PTR record/ ptr

# source: Cox email error codes AUP#CXDNS and "rejected - no rDNS"
#   (https://www.cox.com/residential/support/email-error-codes.html), quoted in sisimai
#   lib/Sisimai/Rhost/Cox.pm
# sample: 554 cxr.mx.east.cox.net cox 192.0.2.1 rejected - no rDNS - AUP#CXDNS For more information please visit http://postmaster.cox.net/confluence/display/postmaster/error+codes
/rejected - no rdns|CXDNS/ ptr

# --- any receiver --------------------------------------------------------------------

# source: Postfix's reject_unknown_client_hostname / reject_unknown_reverse_client_hostname
#   ("cannot find your reverse hostname", "cannot find your hostname"), quoted in sisimai
#   lib/Sisimai/Reason/RequirePTR.pm
# sample: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]
# sample: 550 5.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]
/cannot find your (reverse )?hostname/ ptr

# source: RFC 7372 section 3.3 (X.7.25 "Reverse DNS validation failed"): the enhanced
#   status code that follows the reply's 3-digit code, on one line or the first of many
# sample: 550-5.7.25 [192.0.2.1] Reverse DNS validation failed 550 5.7.25 see https://mx.example.test/rdns
# sample: 550 5.7.25 Client host rejected: no PTR record for 192.0.2.1
# sample: 450 4.7.25 Client host rejected: reverse DNS validation failed, try again later
/^[45][0-9][0-9][ -][45]\.7\.25 / ptr
