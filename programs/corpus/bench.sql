-- rvmmu's SQLite benchmark (scripts/real-bench.py): an in-memory database of employees,
-- filled by ten transactions of inserts, then indexed, joined, aggregated, updated and
-- checked. Deterministic: no random(), no clock; every run prints the same rows.
--
-- Scale: the number of employees is the row of a table `scale` made before this file is
-- read, else 200000:
--   sqlite3 :memory: "CREATE TABLE scale(n INTEGER); INSERT INTO scale VALUES(20000);" ".read bench.sql"
-- The inserts are INSERT ... SELECT statements over a counting query (one statement per
-- transaction, each row inserted by SQLite's virtual machine), not one parsed statement per row.
CREATE TABLE IF NOT EXISTS scale(n INTEGER);
INSERT INTO scale SELECT 200000 WHERE NOT EXISTS (SELECT 1 FROM scale);

CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL, budget REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50)
  INSERT INTO dept SELECT x, 'dept-' || x, x * 1000.0 FROM c;

CREATE TABLE emp(id INTEGER PRIMARY KEY, name TEXT, dept INTEGER, salary REAL, hired TEXT,
  boss INTEGER);

-- Ten transactions, transaction k inserting rows k*n/10+1 .. (k+1)*n/10. Salaries are
-- scattered (i * 7919 mod 100000), so the salary index below sees them in no order.
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 0 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 1 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 1 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 2 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 2 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 3 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 3 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 4 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 4 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 5 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 5 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 6 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 6 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 7 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 7 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 8 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 8 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 9 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT (SELECT n FROM scale) * 9 / 10 + 1
    UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM scale) * 10 / 10)
  INSERT INTO emp SELECT i, 'emp-' || i, i % 50 + 1, ((i * 7919) % 100000) / 100.0,
    printf('20%02d-%02d-%02d', i % 20, 1 + i % 12, 1 + i % 28), i / 10 FROM c;
COMMIT;

CREATE INDEX emp_dept ON emp(dept);
CREATE INDEX emp_salary ON emp(salary);
CREATE INDEX emp_hired ON emp(hired);

SELECT count(*), round(sum(salary), 2), min(salary), max(salary) FROM emp;
-- A join with a group: each department's head count and mean salary.
SELECT d.name, count(e.id), round(avg(e.salary), 2) FROM dept d JOIN emp e ON e.dept = d.id
  GROUP BY d.id ORDER BY d.id LIMIT 5;
-- A self-join through the primary key: employees paid more than their boss, per department.
SELECT e.dept, count(*) FROM emp e JOIN emp b ON e.boss = b.id WHERE e.salary > b.salary
  GROUP BY e.dept ORDER BY 2 DESC, 1 LIMIT 5;
-- Updates: through the dept index, then through the salary index (a range), then a
-- correlated update of every department.
BEGIN;
UPDATE emp SET salary = round(salary * 1.1, 2) WHERE dept % 3 = 0;
UPDATE emp SET hired = '2021-01-01' WHERE salary BETWEEN 100.0 AND 200.0;
UPDATE dept SET budget = (SELECT round(sum(salary), 2) FROM emp WHERE emp.dept = dept.id);
DELETE FROM emp WHERE id % 7 = 0;
COMMIT;
SELECT dept, round(total(salary), 2) FROM emp GROUP BY dept HAVING count(*) > 1
  ORDER BY 2 DESC LIMIT 5;
SELECT name, salary FROM emp WHERE name LIKE 'emp-1%' ORDER BY salary DESC, id LIMIT 3;
SELECT substr(hired, 1, 4) AS y, count(*) FROM emp GROUP BY y ORDER BY y LIMIT 5;
SELECT count(*) FROM emp WHERE hired = '2021-01-01';
SELECT d.name, d.budget FROM dept d ORDER BY d.budget DESC LIMIT 3;
-- A join of two large sides through an index: pairs with the same salary.
SELECT count(*) FROM emp e1 JOIN emp e2 ON e1.salary = e2.salary AND e1.id < e2.id;
PRAGMA integrity_check;
