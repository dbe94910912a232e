-- One day of the date dimension; a day already there is left as it is (its index never changes).
INSERT INTO dim_date (date_key, financial_year, is_working_day, working_day_index, bank_holiday)
VALUES (:date_key, :financial_year, :is_working_day, :working_day_index, :bank_holiday)
ON CONFLICT (date_key) DO NOTHING
