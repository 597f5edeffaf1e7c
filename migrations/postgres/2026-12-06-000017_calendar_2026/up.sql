-- The 2026 calendar of 法定节假日 and 调休 make-up workdays, shipped so that working-day
-- deadlines are right without a finance office loading it. Source: 国务院办公厅关于2026年部分
-- 节假日安排的通知 (4 November 2025, published by 新华社): 元旦 1月1日–3日, 1月4日 worked; 春节
-- 2月15日–23日, 2月14日 and 2月28日 worked; 清明 4月4日–6日; 劳动节 5月1日–5日, 5月9日 worked;
-- 端午 6月19日–21日; 中秋 9月25日–27日; 国庆 10月1日–7日, 9月20日 and 10月10日 worked.
-- A year an office already published is left as it is; `PUT /calendar/2026` replaces this one.
INSERT INTO calendar_days (day, kind)
SELECT column1, column2 FROM (VALUES
    (DATE '2026-01-01', 'holiday'),
    (DATE '2026-01-02', 'holiday'),
    (DATE '2026-01-03', 'holiday'),
    (DATE '2026-02-15', 'holiday'),
    (DATE '2026-02-16', 'holiday'),
    (DATE '2026-02-17', 'holiday'),
    (DATE '2026-02-18', 'holiday'),
    (DATE '2026-02-19', 'holiday'),
    (DATE '2026-02-20', 'holiday'),
    (DATE '2026-02-21', 'holiday'),
    (DATE '2026-02-22', 'holiday'),
    (DATE '2026-02-23', 'holiday'),
    (DATE '2026-04-04', 'holiday'),
    (DATE '2026-04-05', 'holiday'),
    (DATE '2026-04-06', 'holiday'),
    (DATE '2026-05-01', 'holiday'),
    (DATE '2026-05-02', 'holiday'),
    (DATE '2026-05-03', 'holiday'),
    (DATE '2026-05-04', 'holiday'),
    (DATE '2026-05-05', 'holiday'),
    (DATE '2026-06-19', 'holiday'),
    (DATE '2026-06-20', 'holiday'),
    (DATE '2026-06-21', 'holiday'),
    (DATE '2026-09-25', 'holiday'),
    (DATE '2026-09-26', 'holiday'),
    (DATE '2026-09-27', 'holiday'),
    (DATE '2026-10-01', 'holiday'),
    (DATE '2026-10-02', 'holiday'),
    (DATE '2026-10-03', 'holiday'),
    (DATE '2026-10-04', 'holiday'),
    (DATE '2026-10-05', 'holiday'),
    (DATE '2026-10-06', 'holiday'),
    (DATE '2026-10-07', 'holiday'),
    (DATE '2026-01-04', 'workday'),
    (DATE '2026-02-14', 'workday'),
    (DATE '2026-02-28', 'workday'),
    (DATE '2026-05-09', 'workday'),
    (DATE '2026-09-20', 'workday'),
    (DATE '2026-10-10', 'workday')
) AS shipped
WHERE NOT EXISTS (
    SELECT 1 FROM calendar_days WHERE day BETWEEN DATE '2026-01-01' AND DATE '2026-12-31'
);
