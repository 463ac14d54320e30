namespace Sluice.Testing;

/// <summary>The SQL of the reference's example applications (kda-sql.md §10), exactly as written there.</summary>
public static class KdaExamples
{
    public const string TollBilling = """
        CREATE OR REPLACE STREAM "CUSTOMER_BILLING_10M" (
            WINDOW_START  TIMESTAMP,
            CUSTOMER_ID   VARCHAR(16),
            PASSAGES      BIGINT,
            TOTAL_DUE     DECIMAL(12,2));

        CREATE OR REPLACE PUMP "BILLING_PUMP" AS
          INSERT INTO "CUSTOMER_BILLING_10M"
            SELECT STREAM
                STEP(src.ROWTIME BY INTERVAL '10' MINUTE) AS WINDOW_START,
                src.CUSTOMER_ID,
                COUNT(*)          AS PASSAGES,
                SUM(src.AMOUNT)   AS TOTAL_DUE
            FROM "SOURCE_SQL_STREAM_001" AS src
            GROUP BY src.CUSTOMER_ID,
                     STEP(src.ROWTIME BY INTERVAL '10' MINUTE);
        """;

    public const string LowTraffic = """
        CREATE OR REPLACE STREAM "BOOTH_VOLUME_30M" (
            BOOTH_ID      VARCHAR(8),
            WINDOW_START  TIMESTAMP,
            VEHICLES      BIGINT);

        CREATE OR REPLACE PUMP "BOOTH_VOLUME_PUMP" AS
          INSERT INTO "BOOTH_VOLUME_30M"
            SELECT STREAM s.BOOTH_ID,
                          STEP(s.ROWTIME BY INTERVAL '30' MINUTE),
                          COUNT(*)
            FROM "SOURCE_SQL_STREAM_001" AS s
            GROUP BY s.BOOTH_ID, STEP(s.ROWTIME BY INTERVAL '30' MINUTE);

        CREATE OR REPLACE STREAM "LOW_TRAFFIC_ALERTS" (
            BOOTH_ID      VARCHAR(8),
            WINDOW_START  TIMESTAMP,
            VEHICLES      BIGINT,
            MIN_VEHICLES  INTEGER);

        CREATE OR REPLACE PUMP "LOW_TRAFFIC_PUMP" AS
          INSERT INTO "LOW_TRAFFIC_ALERTS"
            SELECT STREAM v.BOOTH_ID, v.WINDOW_START, v.VEHICLES, t.MIN_VEHICLES
            FROM "BOOTH_VOLUME_30M" AS v
            JOIN "BOOTH_THRESHOLDS" AS t
              ON v.BOOTH_ID = t.BOOTH_ID
            WHERE v.VEHICLES < t.MIN_VEHICLES;
        """;

    public const string SlidingTemperature = """
        CREATE OR REPLACE STREAM "TEMP_FLAGGED" (
            SENSOR_ID   VARCHAR(16),
            TEMP_C      DOUBLE,
            AVG_5M      DOUBLE,
            SAMPLES_5M  BIGINT,
            IS_ANOMALY  BOOLEAN);

        CREATE OR REPLACE PUMP "TEMP_FLAG_PUMP" AS
          INSERT INTO "TEMP_FLAGGED"
            SELECT STREAM
                r.SENSOR_ID,
                r.TEMP_C,
                AVG(r.TEMP_C) OVER last5m,
                COUNT(*)      OVER last5m,
                CASE WHEN ABS(r.TEMP_C - AVG(r.TEMP_C) OVER last5m) > 4.0 THEN TRUE ELSE FALSE END
            FROM "SOURCE_SQL_STREAM_001" AS r
            WINDOW last5m AS (PARTITION BY r.SENSOR_ID RANGE INTERVAL '5' MINUTE PRECEDING);
        """;

    public const string RandomCutForest = """
        -- Narrow the input so only the intended numeric features reach the forest.
        CREATE OR REPLACE STREAM "RCF_INPUT" (
            SENSOR_ID  VARCHAR(16),
            TEMP_C     DOUBLE,
            HUMIDITY   DOUBLE);

        CREATE OR REPLACE PUMP "RCF_INPUT_PUMP" AS
          INSERT INTO "RCF_INPUT"
            SELECT STREAM SENSOR_ID, TEMP_C, HUMIDITY
            FROM "SOURCE_SQL_STREAM_001"
            WHERE TEMP_C IS NOT NULL AND HUMIDITY IS NOT NULL;

        CREATE OR REPLACE STREAM "RCF_SCORED" (
            SENSOR_ID      VARCHAR(16),
            TEMP_C         DOUBLE,
            HUMIDITY       DOUBLE,
            ANOMALY_SCORE  DOUBLE);

        CREATE OR REPLACE PUMP "RCF_PUMP" AS
          INSERT INTO "RCF_SCORED"
            SELECT STREAM SENSOR_ID, TEMP_C, HUMIDITY, ANOMALY_SCORE
            FROM TABLE(RANDOM_CUT_FOREST(
                    CURSOR(SELECT STREAM * FROM "RCF_INPUT"),
                    100,      -- numberOfTrees
                    256,      -- subSampleSize
                    100000,   -- timeDecay
                    1));      -- shingleSize

        CREATE OR REPLACE STREAM "RCF_RANKED" (
            SENSOR_ID      VARCHAR(16),
            TEMP_C         DOUBLE,
            HUMIDITY       DOUBLE,
            ANOMALY_SCORE  DOUBLE);

        CREATE OR REPLACE PUMP "RCF_RANK_PUMP" AS
          INSERT INTO "RCF_RANKED"
            SELECT STREAM * FROM "RCF_SCORED"
            ORDER BY FLOOR("RCF_SCORED".ROWTIME TO SECOND), ANOMALY_SCORE DESC;
        """;

    public const string HeavyVehicles = """
        CREATE OR REPLACE STREAM "HEAVY_VEHICLES" (
            BOOTH_ID      VARCHAR(8),
            PLATE         VARCHAR(16),
            AXLES         INTEGER,
            PASSAGE_TIME  TIMESTAMP,
            LAG_MS        BIGINT);

        CREATE OR REPLACE PUMP "HEAVY_VEHICLES_PUMP" AS
          INSERT INTO "HEAVY_VEHICLES"
            SELECT STREAM
                BOOTH_ID,
                UPPER(TRIM(BOTH ' ' FROM PLATE)),
                AXLES,
                PASSAGE_TIME,
                UNIX_TIMESTAMP(APPROXIMATE_ARRIVAL_TIME) - UNIX_TIMESTAMP(PASSAGE_TIME)  -- producer-to-Kinesis delay, ms
            FROM "SOURCE_SQL_STREAM_001"
            WHERE AXLES >= 3
              AND PLATE IS NOT NULL
              AND VEHICLE_CLASS <> 'BUS';
        """;

    public const string PlateVisits = """
        CREATE OR REPLACE STREAM "PLATE_VISITS" (
            PLATE        VARCHAR(16),
            BOOTH_ID     VARCHAR(8),
            EVENT_MINUTE TIMESTAMP,
            PASSAGES     BIGINT,
            TOTAL_AMOUNT DECIMAL(12,2));

        CREATE OR REPLACE PUMP "PLATE_VISITS_PUMP" AS
          INSERT INTO "PLATE_VISITS"
            SELECT STREAM PLATE, BOOTH_ID, FLOOR(PASSAGE_TIME TO MINUTE), COUNT(*), SUM(AMOUNT)
            FROM "SOURCE_SQL_STREAM_001"
            WHERE PLATE IS NOT NULL
            WINDOWED BY STAGGER (
                PARTITION BY PLATE, BOOTH_ID, FLOOR(PASSAGE_TIME TO MINUTE)
                RANGE INTERVAL '2' MINUTE);
        """;
}
