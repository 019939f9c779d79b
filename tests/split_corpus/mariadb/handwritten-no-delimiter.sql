-- Hand-written: stored programs in one file without DELIMITER lines, as
-- migration tools (not the mysql client) accept them: BEGIN ... END bodies
-- are tracked, so their inner semicolons do not end the statement.
CREATE TABLE log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100), at_end INT);
CREATE TABLE counters (name VARCHAR(20) PRIMARY KEY, n INT NOT NULL);
INSERT INTO counters VALUES ('log', 0), ('end;', 0);

CREATE PROCEDURE nested_blocks(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE done INT DEFAULT 0;
  DECLARE c CURSOR FOR SELECT id FROM log;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
  outer_block: BEGIN
    inner_block: BEGIN
      IF n > 100 THEN LEAVE outer_block; END IF;
    END inner_block;
    WHILE i < n DO
      SET i = i + 1;
      INSERT INTO log (what, at_end) VALUES (CONCAT('row ', i, '; ok'), IF(i = n, 1, 0));
    END WHILE;
  END outer_block;
  OPEN c;
  read_loop: LOOP
    FETCH c INTO i;
    IF done THEN LEAVE read_loop; END IF;
  END LOOP;
  CLOSE c;
  SELECT t.at_end FROM log AS t WHERE t.id = 1 INTO @first_end;
END;

CREATE FUNCTION repeat_word(w VARCHAR(10), k INT) RETURNS VARCHAR(100) DETERMINISTIC
RETURN REPEAT(CONCAT(w, ';'), k);

CREATE TRIGGER count_log AFTER INSERT ON log FOR EACH ROW
  UPDATE counters SET n = n + 1 WHERE name = 'log';

CREATE TRIGGER count_end BEFORE INSERT ON log FOR EACH ROW
BEGIN
  CASE
    WHEN NEW.at_end = 1 THEN UPDATE counters SET n = n + 1 WHERE name = 'end;';
    ELSE BEGIN END;
  END CASE;
END;

BEGIN NOT ATOMIC
  DECLARE x INT DEFAULT 2;
  REPEAT
    SET x = x - 1;
  UNTIL x <= 0 END REPEAT;
  INSERT INTO log (what, at_end) VALUES ('anonymous block # not a comment', 0);
END;

CALL nested_blocks(3); # runs the procedure
SELECT repeat_word('ab', 2) INTO @words; -- 'ab;ab;'
