#!/usr/bin/env python3
"""Grows a seeded demo world to benchmark size for the report benchmark (benches/stats.sh).

    benches/stats_world.py sqlite PATH/finmatch.db LOANS ENTERPRISES
    benches/stats_world.py postgres URL LOANS ENTERPRISES

`seed-demo` writes through the use cases (about 13 ms per loan with its matches), which would
take hours at a million loans; the reports read rollup cells, and those come from
`finmatch rebuild-stats` whatever wrote the rows. So this script inserts rows in bulk with SQL
next to a small seeded world (its banks, products and regions), then the caller rebuilds the
cells. The shape: ENTERPRISES more enterprises over the seeded regions; 2 × LOANS demands over
two years, each with a match, LOANS of them disbursed as loans and the others applied,
accepted, approved, rejected or withdrawn in turn; after 放款, per 1,000 loans: 600 repaying
on schedule (repaid when matured, half outstanding otherwise), 50 overdue, 15 NPL (5 of them
written off), 200 with a renewal (续贷: requested, approved, rejected, withdrawn, disbursed in
turn — a disbursed renewal closes the loan as `renewed`; the renewal loan itself is not
inserted), the rest current; and a 转贷 fund bridging one approved renewal in four, its bridges
requested, approved, rejected, disbursed, repaid and overdue in turn.
"""

import datetime
import sqlite3
import subprocess
import sys

backend, target, loans, enterprises = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
today = datetime.date.today().isoformat()
pg = backend == "postgres"


def seq(n):
    """Rows i = 0 … n-1."""
    if pg:
        return f"(SELECT generate_series(0::bigint, {n - 1}) AS i) seq"
    return f"(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {n - 1}) SELECT i FROM s) seq"


def days_ago(x):
    return f"({TODAY} - ({x})::int)" if pg else f"date('{today}', '-' || ({x}) || ' days')"


def plus_days(d, x):
    return f"(({d}) + ({x})::int)" if pg else f"date({d}, '+' || ({x}) || ' days')"


def plus_months(d, m):
    return f"(({d}) + interval '{m} months')::date" if pg else f"date({d}, '+{m} months')"


def at(d, hour):
    return f"(({d}) + time '{hour:02}:00')" if pg else f"(({d}) || ' {hour:02}:00:00')"


TRUE, FALSE = ("TRUE", "FALSE") if pg else ("1", "0")
TODAY = f"DATE '{today}'" if pg else f"'{today}'"

statements = [
    # The seeded world: banks' products and regions to spread the new rows over.
    "CREATE TEMP TABLE b_prods AS SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS rn, id, bank_id, product_type,"
    " guarantee_methods LIKE '%credit%' AS credit FROM products WHERE status = 'active' AND product_type <> 'renewal'",
    "CREATE TEMP TABLE b_regions AS SELECT ROW_NUMBER() OVER (ORDER BY region_code) - 1 AS rn, region_code FROM"
    " (SELECT DISTINCT region_code FROM organizations WHERE kind = 'enterprise' AND region_code IS NOT NULL) r",
    "CREATE INDEX b_prods_rn ON b_prods (rn)",
    "CREATE INDEX b_regions_rn ON b_regions (rn)",
    "CREATE TEMP TABLE b_base AS SELECT (SELECT MAX(id) FROM organizations) AS org, (SELECT MAX(id) FROM demands) AS dem,"
    " (SELECT MAX(id) FROM matches) AS mat, (SELECT MAX(id) FROM loans) AS loan,"
    " (SELECT COUNT(*) FROM b_prods) AS nprod, (SELECT COUNT(*) FROM b_regions) AS nreg,"
    " (SELECT MIN(id) FROM users) AS admin",
    # Enterprises.
    "INSERT INTO organizations (id, kind, name, credit_code, region_code, created_at, updated_at)"
    f" SELECT b.org + 1 + i, 'enterprise', 'bench enterprise ' || i, NULL, r.region_code, {at(days_ago(800), 9)}, {at(days_ago(800), 9)}"
    f" FROM {seq(enterprises)} CROSS JOIN b_base b JOIN b_regions r ON r.rn = i % b.nreg",
    "INSERT INTO enterprises (org_id, industry, employees, annual_revenue_fen, total_assets_fen, established_on,"
    " has_prior_loan, size_class, updated_at)"
    f" SELECT b.org + 1 + i, 'C39', 20 + i % 200, 1000000000 + (i % 97) * 100000000, 2000000000, '2015-06-01', {FALSE},"
    f" CASE i % 3 WHEN 0 THEN 'micro' WHEN 1 THEN 'small' ELSE 'medium' END, {at(days_ago(800), 9)}"
    f" FROM {seq(enterprises)} CROSS JOIN b_base b",
    "CREATE TEMP TABLE b_ents AS SELECT o.id - b.org - 1 AS rn, o.id, o.region_code, e.size_class FROM organizations o"
    " JOIN enterprises e ON e.org_id = o.id CROSS JOIN b_base b WHERE o.id > b.org",
    "CREATE INDEX b_ents_rn ON b_ents (rn)",
    # Demands: 2 × loans, created over two years (each at least 11 days ago).
    f"CREATE TEMP TABLE b_dem AS SELECT i, b.dem + 1 + i AS dem_id, en.id AS ent, en.region_code, en.size_class,"
    f" p.id AS product, p.bank_id, p.product_type, p.credit, (i * 7919) % 720 + 11 AS ago,"
    f" CASE WHEN i < {loans} THEN 'disbursed' ELSE (CASE i % 5 WHEN 0 THEN 'applied' WHEN 1 THEN 'accepted'"
    " WHEN 2 THEN 'approved' WHEN 3 THEN 'rejected' ELSE 'withdrawn' END) END AS state"
    f" FROM {seq(2 * loans)} CROSS JOIN b_base b JOIN b_ents en ON en.rn = (i * 31) % {enterprises}"
    " JOIN b_prods p ON p.rn = i % b.nprod",
    "INSERT INTO demands (id, enterprise_id, amount_fen, term_months, purpose, guarantee_methods, max_rate_units,"
    " preferred_product_types, needed_by, description, status, closed_at, created_at, updated_at, region_code,"
    " matched_at, loaned_at)"
    f" SELECT dem_id, ent, 10000000 * (1 + i % 50), 12, 'working_capital', '[\"credit\"]', NULL, '[]', NULL, '',"
    f" CASE WHEN i < {loans} THEN 'fulfilled' ELSE 'in_progress' END, NULL, {at(days_ago('ago'), 9)}, {at(days_ago('ago'), 9)},"
    f" region_code, {at(days_ago('ago'), 10)}, CASE WHEN i < {loans} THEN {at(days_ago('ago - 10'), 15)} END FROM b_dem",
    # One match per demand: disbursed for the first `loans`, the other states in turn after.
    "INSERT INTO matches (id, demand_id, product_id, bank_id, enterprise_id, state, initiated_by, live_key,"
    " respond_by, decide_by, approved_amount_fen, approved_rate_units, approved_term_months, disbursed_fen,"
    " reject_reason_code, reject_reason, respond_overdue_notified, decide_overdue_notified, responded_at,"
    " created_at, updated_at, region_code, size_class, qualification_kinds, product_type)"
    f" SELECT b.mat + 1 + d.i, d.dem_id, d.product, d.bank_id, d.ent, d.state, 'enterprise',"
    f" CASE WHEN d.state IN ('applied', 'accepted', 'approved') THEN d.dem_id || ':' || d.product END,"
    f" CASE WHEN d.state = 'applied' THEN {plus_days(days_ago('d.ago'), 5)} END,"
    f" CASE WHEN d.state = 'accepted' THEN {plus_days(days_ago('d.ago'), 12)} END,"
    f" CASE WHEN d.state IN ('approved', 'disbursed') THEN 10000000 * (1 + d.i % 50) END,"
    f" CASE WHEN d.state IN ('approved', 'disbursed') THEN 36500 END,"
    f" CASE WHEN d.state IN ('approved', 'disbursed') THEN 12 END,"
    f" CASE WHEN d.state = 'disbursed' THEN 10000000 * (1 + d.i % 50) ELSE 0 END,"
    f" CASE WHEN d.state = 'rejected' THEN 'insufficient_collateral' END, CASE WHEN d.state = 'rejected' THEN '抵押不足' END,"
    f" {FALSE}, {FALSE}, CASE WHEN d.state NOT IN ('applied', 'withdrawn') THEN {at(days_ago('d.ago'), 10 + 4)} END,"
    f" {at(days_ago('d.ago'), 10)}, {at(days_ago('d.ago'), 10)}, d.region_code, d.size_class, '', d.product_type"
    " FROM b_dem d CROSS JOIN b_base b",
    # Loans, with their state after 放款 by i % 1000 (see the header).
    f"CREATE TEMP TABLE b_loan AS SELECT d.*, b.loan + 1 + d.i AS id, b.mat + 1 + d.i AS match_id,"
    f" 10000000 * (1 + d.i % 50) AS amount, {days_ago('d.ago - 10')} AS on_day,"
    f" {plus_months(days_ago('d.ago - 10'), 12)} AS maturity, d.i % 1000 AS k"
    f" FROM b_dem d CROSS JOIN b_base b WHERE d.i < {loans}",
    "INSERT INTO loans (id, match_id, demand_id, product_id, bank_id, enterprise_id, amount_fen, rate_units,"
    " term_months, disbursed_on, first_loan, guarantor_id, guarantee_fee_rate_units, counter_guarantee,"
    " created_by, created_at, region_code, size_class, qualification_kinds, product_type, credit, maturity_on,"
    " outstanding_fen, status, written_off_fen, last_event_on, maturing_announced, renewal_of)"
    f" SELECT l.id, l.match_id, l.dem_id, l.product, l.bank_id, l.ent, l.amount, 36500, 12,"
    f" l.on_day, l.i % 3 = 0, NULL, NULL, NULL, b.admin, {at('l.on_day', 15)}, l.region_code, l.size_class, '',"
    f" l.product_type, l.credit, l.maturity,"
    f" CASE WHEN l.k < 600 AND l.maturity < {TODAY} THEN 0 WHEN l.k < 600 THEN l.amount / 2"
    f"      WHEN l.k BETWEEN 650 AND 654 THEN 0 WHEN l.k BETWEEN 665 AND 864 AND (l.k - 665) % 5 = 4 THEN 0"
    f"      ELSE l.amount END,"
    f" CASE WHEN l.k < 600 AND l.maturity < {TODAY} THEN 'repaid' WHEN l.k < 600 THEN 'current'"
    f"      WHEN l.k < 650 THEN 'overdue' WHEN l.k < 655 THEN 'written_off' WHEN l.k < 665 THEN 'npl'"
    f"      WHEN l.k < 865 AND (l.k - 665) % 5 = 4 THEN 'renewed' ELSE 'current' END,"
    f" CASE WHEN l.k BETWEEN 650 AND 654 THEN l.amount ELSE 0 END,"
    f" CASE WHEN l.k < 865 THEN l.on_day END, {FALSE}, NULL"
    " FROM b_loan l CROSS JOIN b_base b",
    # Renewals of loans k in 665..864, 30 days before maturity (or today), decided 2 days later.
    f"CREATE TEMP TABLE b_ren AS SELECT l.*, (l.k - 665) % 5 AS st,"
    f" CASE WHEN {plus_days('l.maturity', -30) if pg else 'date(l.maturity, ' + chr(39) + '-30 days' + chr(39) + ')'} < {TODAY}"
    f" THEN {plus_days('l.maturity', -30) if pg else 'date(l.maturity, ' + chr(39) + '-30 days' + chr(39) + ')'} ELSE {days_ago(3)} END AS asked"
    " FROM b_loan l WHERE l.k BETWEEN 665 AND 864",
    "INSERT INTO renewals (loan_id, bank_id, enterprise_id, state, amount_fen, term_months, no_principal_repayment,"
    " note, respond_by, approved_amount_fen, approved_rate_units, approved_term_months, reject_reason_code,"
    " reject_reason, new_loan_id, requested_by, decided_at, created_at, updated_at, decision_working_days)"
    f" SELECT id, bank_id, ent, CASE st WHEN 0 THEN 'requested' WHEN 1 THEN 'approved' WHEN 2 THEN 'rejected'"
    f" WHEN 3 THEN 'withdrawn' ELSE 'disbursed' END, amount, 12, {TRUE}, NULL, {plus_days('asked', 7)},"
    f" CASE WHEN st IN (1, 4) THEN amount END, CASE WHEN st IN (1, 4) THEN 34500 END, CASE WHEN st IN (1, 4) THEN 12 END,"
    f" CASE WHEN st = 2 THEN 'declining_revenue' END, CASE WHEN st = 2 THEN '营业收入下降' END, NULL, ent,"
    f" CASE WHEN st IN (1, 2, 4) THEN {at(plus_days('asked', 2), 11)} END, {at('asked', 9)}, {at('asked', 9)},"
    f" CASE WHEN st IN (1, 2, 4) THEN 2 END FROM b_ren",
    # A 转贷 fund bridging one approved renewal in four.
    "INSERT INTO bridge_funds (name, capital_fen, reserved_fen, region_prefix, daily_fee_rate_units, max_days,"
    " max_amount_fen, max_share_units, eligibility, created_by_org, created_at)"
    f" SELECT '基准测试转贷基金', 50000000000000, 0, NULL, 200, 30, 3000000000, 950000, '{{}}', MIN(id), {at(days_ago(800), 9)}"
    " FROM organizations",
    "INSERT INTO bridge_loans (fund_id, loan_id, renewal_id, enterprise_id, bank_id, amount_fen, days, state,"
    " reject_reason, disbursed_on, due_on, repaid_on, fee_fen, fee_breakdown, created_at, updated_at)"
    f" SELECT (SELECT MAX(id) FROM bridge_funds), r.loan_id, r.id, r.enterprise_id, r.bank_id, r.amount_fen * 9 / 10, 15,"
    " CASE (r.id / 4) % 6 WHEN 0 THEN 'requested' WHEN 1 THEN 'approved' WHEN 2 THEN 'rejected' WHEN 3 THEN 'disbursed'"
    " WHEN 4 THEN 'repaid' ELSE 'overdue' END,"
    " CASE WHEN (r.id / 4) % 6 = 2 THEN '额度已满' END,"
    f" CASE WHEN (r.id / 4) % 6 IN (3, 4, 5) THEN {days_ago(20)} END,"
    f" CASE WHEN (r.id / 4) % 6 IN (3, 4, 5) THEN {days_ago(5)} END,"
    f" CASE WHEN (r.id / 4) % 6 = 4 THEN {days_ago(8)} END,"
    " CASE WHEN (r.id / 4) % 6 = 4 THEN r.amount_fen * 9 / 10 * 2 * 12 / 10000 END, NULL, r.created_at, r.created_at"
    " FROM renewals r WHERE r.state = 'approved' AND r.id % 4 = 0 AND r.requested_by > (SELECT org FROM b_base)",
    "UPDATE bridge_funds SET reserved_fen = (SELECT COALESCE(SUM(amount_fen), 0) FROM bridge_loans b"
    " WHERE b.fund_id = bridge_funds.id AND b.state IN ('approved', 'disbursed', 'overdue'))"
    " WHERE name = '基准测试转贷基金'",
]

if pg:
    sql = "BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;\n"
    for t in ["organizations", "demands", "matches", "loans"]:
        sql += f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}));\n"
    sql += "ANALYZE;\n"
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", target], input=sql, text=True, check=True,
                   stdout=subprocess.DEVNULL)
else:
    db = sqlite3.connect(target)
    db.execute("PRAGMA foreign_keys = ON")
    with db:
        for s in statements:
            db.execute(s)
    db.execute("ANALYZE")
    db.close()
print(f"added {enterprises} enterprises, {2 * loans} demands and matches, {loans} loans with renewals and bridges")
