import EddyProtocol
import EddySasl

/// Served by any running broker for the controller (Kafka forwards AlterUserScramCredentials to
/// the controller and answers DescribeUserScramCredentials from the broker's metadata image;
/// here both are in the same process). Expects the cluster lock held.
extension Broker {
    /// DescribeUserScramCredentials: see `MetadataImage.describeScramCredentials`.
    func handleDescribeUserScramCredentials(_ request: DescribeUserScramCredentialsRequest) -> DescribeUserScramCredentialsResponse {
        cluster.metadata.latestImage.describeScramCredentials(request)
    }

    /// AlterUserScramCredentials: see `Controller.alterScramCredentials`; the accepted
    /// alterations are written as one metadata batch.
    func handleAlterUserScramCredentials(_ request: AlterUserScramCredentialsRequest) -> AlterUserScramCredentialsResponse {
        let (response, records) = cluster.controller.alterScramCredentials(request, image: cluster.metadata.latestImage)
        do throws(BrokerError) {
            try cluster.commit(records)
        } catch {
            return request.errorResponse(error.errorCode, message: error.description)
        }
        return response
    }
}
