-- Hand-written: stored programs the way the mysql client reads them, with DELIMITER.
# A hash comment; with a semicolon
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_CHECKS = @@UNIQUE_CHECKS, UNIQUE_CHECKS = 0 */;
CREATE TABLE results (name VARCHAR(64) NOT NULL, value TEXT);
CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL DEFAULT 0, note VARCHAR(200));
INSERT INTO items VALUES (1, 5, 'it\'s; escaped'), (2, 0, "double \"quoted\"; too"), (3, 7, 'C:\\temp\\');

DELIMITER $$
CREATE PROCEDURE fill_results(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE msg VARCHAR(100) DEFAULT 'semi;colon $$ not a delimiter in a string';
  -- a dash comment; END $$ inside it is nothing
  counting: LOOP
    SET i = i + 1;
    IF i > n THEN
      LEAVE counting;
    ELSEIF i = 2 THEN
      BEGIN
        INSERT INTO results VALUES ('two', IF(i > 1, 'yes;', 'no'));
      END;
    END IF;
  END LOOP counting;
  WHILE i > 0 DO SET i = i - 1; END WHILE;
  REPEAT SET i = i + 1; UNTIL i >= n END REPEAT;
  CASE n
    WHEN 3 THEN INSERT INTO results VALUES ('case', 'three;');
    ELSE INSERT INTO results VALUES ('case', CONCAT('other ', n));
  END CASE;
  INSERT INTO results VALUES ('msg', msg), ('i', i);
END$$

CREATE FUNCTION stock_label(q INT) RETURNS VARCHAR(20) DETERMINISTIC
BEGIN
  RETURN CASE WHEN q = 0 THEN 'none;' WHEN q < 6 THEN 'low' ELSE 'plenty' END;
END $$
DELIMITER //
CREATE TRIGGER items_note BEFORE INSERT ON items FOR EACH ROW
BEGIN
  IF NEW.note IS NULL THEN
    SET NEW.note = CONCAT('added; qty=', NEW.qty, ' \\ done');
  END IF;
END//
/*!50003 CREATE PROCEDURE versioned_comment() SELECT 'inside an executable comment;' */ //
DELIMITER ;
CALL fill_results(3);
INSERT INTO items (id, qty) VALUES (4, 1);
INSERT INTO results SELECT 'label', stock_label(qty) FROM items WHERE id = 2;
/*!40014 SET UNIQUE_CHECKS = @OLD_CHECKS */;
